package registry_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.etcd.io/etcd/server/v3/storage/mvcc"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestCreateAfterNamespaceDeleteWaitsForTheCache holds back the namespace watch cache while a
// namespace is deleted, then creates content in it: the create must not be judged on the cache's
// stale, still active namespace, but wait for the cache to see the delete and be refused.
func TestCreateAfterNamespaceDeleteWaitsForTheCache(t *testing.T) {
	reg, gate, fake, ctx := startGated(t, "/registry/namespaces/")
	require.NoError(t, reg.EnsureSystemNamespaces(ctx))
	namespaces, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	require.NoError(t, err)
	configMaps, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)

	_, err = namespaces.Create(ctx, "", &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team-a"}}, registry.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := namespaces.Get(ctx, "", "team-a", registry.GetOptions{ResourceVersion: "0"})
		return err == nil
	}, 10*time.Second, time.Millisecond, "the cache has the active namespace")

	gate.hold()
	_, _, err = namespaces.Delete(ctx, "", "team-a", registry.DeleteOptions{})
	require.NoError(t, err)
	// Timers armed before this point (a watch's retry backoff, say) wait on the clock too; count
	// from whatever is waiting now.
	baseline := fake.Waiters()
	created := make(chan error, 1)
	go func() {
		_, err := configMaps.Create(ctx, "team-a", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "late"}}, registry.CreateOptions{})
		created <- err
	}()
	// The create waits for the namespace cache on the clock: a deadline and a nudge.
	waiting := make(chan error, 1)
	go func() { waiting <- fake.BlockUntilWaiters(ctx, baseline+2) }()
	select {
	case err := <-created:
		require.Failf(t, "the create was judged on the stale cache", "got %v while the cache still showed the namespace active", err)
	case err := <-waiting:
		require.NoError(t, err)
	}
	gate.release()
	err = <-created
	require.True(t, apierrors.IsForbidden(err), "no new content in a terminating namespace: %v", err)
	require.Contains(t, err.Error(), "being terminated")
}

// startGated runs a registry on an in-process etcd whose watches under prefix can be held back,
// with its caches on a fake clock, and waits until every cache is ready. Its context ends with the
// test.
func startGated(t *testing.T, prefix string) (*registry.Registry, *watchGate, *clock.Fake, context.Context) {
	t.Helper()
	e, _ := etcdtest.Start(t)
	cli := v3client.New(e.Server)
	t.Cleanup(func() { _ = cli.Close() })
	gate := &watchGate{WatchableKV: e.Server.Watchable(), prefix: prefix, open: make(chan struct{})}
	close(gate.open)
	sch := scheme.Builtin()
	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	reg, err := registry.New(registry.Config{
		Scheme:  sch,
		Storage: storage.New(cli, storage.NewCodec(sch), storage.Options{Local: gate}),
		Clock:   fake,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- reg.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	// A quiet cache becomes ready when the clock ticks its catch-up, which then stops: tick until
	// every cache is left with its bookmark ticker alone.
	require.Eventually(t, func() bool {
		fake.Step(50 * time.Millisecond)
		return fake.Waiters() == len(sch.Kinds())
	}, 20*time.Second, time.Millisecond, "every cache loads")
	require.NoError(t, reg.WaitReady(ctx))
	return reg, gate, fake, ctx
}

// watchGate is an in-process etcd store whose watches under prefix can be held back, as a busy
// watch cache falls behind etcd.
type watchGate struct {
	mvcc.WatchableKV
	prefix string

	mu   sync.Mutex
	open chan struct{} // closed while events flow
}

func (g *watchGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *watchGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.open)
}

func (g *watchGate) gate() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

func (g *watchGate) NewWatchStream() mvcc.WatchStream {
	ws := g.WatchableKV.NewWatchStream()
	return &gatedStream{WatchStream: ws, g: g, out: make(chan mvcc.WatchResponse), closed: make(chan struct{})}
}

// gatedStream relays a watch stream, holding its responses while the gate is shut if it watches
// under the gate's prefix.
type gatedStream struct {
	mvcc.WatchStream
	g      *watchGate
	gated  bool
	start  sync.Once
	out    chan mvcc.WatchResponse
	closed chan struct{}
	close  sync.Once
}

func (s *gatedStream) Watch(id mvcc.WatchID, key, end []byte, rev int64, fcs ...mvcc.FilterFunc) (mvcc.WatchID, error) {
	s.gated = strings.HasPrefix(string(key), s.g.prefix)
	return s.WatchStream.Watch(id, key, end, rev, fcs...)
}

func (s *gatedStream) Chan() <-chan mvcc.WatchResponse {
	s.start.Do(func() { go s.relay() })
	return s.out
}

func (s *gatedStream) relay() {
	defer close(s.out)
	for resp := range s.WatchStream.Chan() {
		if s.gated {
			select {
			case <-s.g.gate():
			case <-s.closed:
				return
			}
		}
		select {
		case s.out <- resp:
		case <-s.closed:
			return
		}
	}
}

func (s *gatedStream) Close() {
	s.close.Do(func() { close(s.closed) })
	s.WatchStream.Close()
}
