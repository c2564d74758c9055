package informer

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func kindOf(t *testing.T, resource string) *scheme.Kind {
	t.Helper()
	k, ok := scheme.Builtin().ByResource(scheme.GroupVersionResource{Version: "v1", Resource: resource})
	require.True(t, ok)
	return k
}

// TestForKindSharesTheTypedInformer hands a consumer of every kind the informer For made, so the
// resource is watched once, and a fresh one for a kind nobody asked for yet.
func TestForKindSharesTheTypedInformer(t *testing.T) {
	srv := clienttest.Start(t, testPod("a", "n1"), &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm", Namespace: "default"}})
	f := NewFactory(srv.Client(), FactoryOptions{})
	pods := For[*corev1.Pod](f)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)

	require.Same(t, pods, ForKind(f, kindOf(t, "pods")).(*Informer[*corev1.Pod]))
	cms := ForKind(f, kindOf(t, "configmaps"))
	require.Same(t, cms, ForKind(f, kindOf(t, "configmaps")), "one informer per kind")
	require.True(t, f.WaitForSync(ctx))

	var mu sync.Mutex
	seen := map[string]bool{}
	h := Handler[scheme.Object]{OnAdd: func(obj scheme.Object) {
		mu.Lock()
		defer mu.Unlock()
		seen[obj.GetMetadata().GetName()] = true
	}}
	cms.AddObjectHandler(h)
	ForKind(f, kindOf(t, "pods")).AddObjectHandler(h)
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["a"] && seen["cm"]
	}, "both informers replay their objects to a late handler")
	obj, ok := cms.GetObject("default", "cm")
	require.True(t, ok)
	require.IsType(t, &corev1.ConfigMap{}, obj)
	_, ok = cms.GetObject("default", "missing")
	require.False(t, ok)
	// Each informer opens its watch after its list, so the count can still be rising when the
	// handlers have seen both objects; wait for both watches, then check there is no third.
	watches := func() int { return srv.Calls(clienttest.Watch, "pods") + srv.Calls(clienttest.Watch, "configmaps") }
	eventually(t, func() bool { return watches() >= 2 }, "each informer opens its watch")
	require.Equal(t, 2, watches(), "one watch per kind")

	require.PanicsWithValue(t, "informer: configmaps.v1 was asked for through ForKind before For; ask For first",
		func() { For[*corev1.ConfigMap](f) })
}
