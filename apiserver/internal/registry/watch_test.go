package registry_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestInitialEventsAreAConsistentRead holds back the config map cache, writes a config map, then
// watches with sendInitialEvents and no resourceVersion: as in Kubernetes, the initial events are
// the state as of etcd's current revision, so the watch waits for the cache and the acknowledged
// write is among them, before the bookmark that ends them.
func TestInitialEventsAreAConsistentRead(t *testing.T) {
	reg, gate, fake, ctx := startGated(t, "/registry/configmaps/")
	require.NoError(t, reg.EnsureSystemNamespaces(ctx))
	configMaps, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)

	gate.hold()
	_, err = configMaps.Create(ctx, "default", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "acknowledged"}}, registry.CreateOptions{})
	require.NoError(t, err)
	baseline := fake.Waiters()
	type started struct {
		w   *watchcache.Watcher
		err error
	}
	watching := make(chan started, 1)
	go func() {
		w, err := configMaps.Watch(ctx, "default", registry.WatchOptions{SendInitialEvents: true})
		watching <- started{w, err}
	}()
	// The watch waits for the cache on the clock: a deadline and a nudge.
	waiting := make(chan error, 1)
	go func() { waiting <- fake.BlockUntilWaiters(ctx, baseline+2) }()
	select {
	case s := <-watching:
		if s.w != nil {
			s.w.Stop()
		}
		require.Failf(t, "the initial events were read from the stale cache", "Watch returned (%v) while the cache was behind etcd", s.err)
	case err := <-waiting:
		require.NoError(t, err)
	}
	gate.release()
	s := <-watching
	require.NoError(t, s.err)
	defer s.w.Stop()
	first := <-s.w.Events()
	require.Equal(t, watchcache.Added, first.Type)
	require.Equal(t, "acknowledged", first.Object.GetMetadata().GetName())
	end := <-s.w.Events()
	require.Equal(t, watchcache.Bookmark, end.Type, "the initial events end with a bookmark")
}
