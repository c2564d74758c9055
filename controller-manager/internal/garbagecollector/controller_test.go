package garbagecollector

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// ref is an ownerReference to the ReplicaSet name with uid "uid-<name>".
func ref(name string, block bool) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: name, Uid: "uid-" + name,
		Controller: &yes, BlockOwnerDeletion: &block}
}

func rs(name string, finalizers ...string) *appsv1.ReplicaSet {
	m := &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name}
	if len(finalizers) > 0 {
		m.Finalizers = finalizers
		m.DeletionTimestamp = timestamppb.New(epoch)
	}
	return &appsv1.ReplicaSet{Metadata: m}
}

func pod(name string, owners ...*metav1.OwnerReference) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name,
		OwnerReferences: owners}, Spec: &corev1.PodSpec{}}
}

// object names an object of the test's cluster.
type object struct {
	resource, name string
}

func TestCollect(t *testing.T) {
	other := &metav1.OwnerReference{ApiVersion: "example.com/v1", Kind: "Widget", Name: "w", Uid: "uid-w"}
	tests := []struct {
		name string
		objs []scheme.Object
		// gone must disappear; kept must stay.
		gone, kept []object
		// owners maps a kept pod to the owner uids it must keep referencing, exactly.
		owners map[string][]string
	}{
		{
			name: "dependents of a vanished owner are collected, those of a live one kept",
			objs: []scheme.Object{rs("live"), pod("a", ref("gone", true)), pod("b", ref("gone", false)), pod("c", ref("live", true))},
			gone: []object{{"pods", "a"}, {"pods", "b"}},
			kept: []object{{"pods", "c"}, {"replicasets", "live"}},
		},
		{
			name: "an owner replaced by another object of its name does not keep the dependent",
			objs: []scheme.Object{func() scheme.Object { r := rs("web"); r.Metadata.Uid = "uid-new"; return r }(), pod("a", ref("web", true))},
			gone: []object{{"pods", "a"}},
			kept: []object{{"replicasets", "web"}},
		},
		{
			name:   "a dependent with a live owner left only loses its reference to the vanished one",
			objs:   []scheme.Object{rs("live"), pod("a", ref("gone", true), ref("live", false)), pod("sentinel", ref("gone", true))},
			gone:   []object{{"pods", "sentinel"}},
			kept:   []object{{"pods", "a"}},
			owners: map[string][]string{"a": {"uid-live"}},
		},
		{
			name: "foreground: dependents go first, then the owner's finalizer and the owner",
			objs: []scheme.Object{rs("web", finalizerForeground), pod("a", ref("web", true)), pod("b", ref("web", false)), pod("c", ref("other", false)), rs("other")},
			gone: []object{{"pods", "a"}, {"pods", "b"}, {"replicasets", "web"}},
			kept: []object{{"pods", "c"}},
		},
		{
			name:   "orphan: dependents lose their reference and stay, the owner goes",
			objs:   []scheme.Object{rs("web", finalizerOrphan), pod("a", ref("web", true)), pod("b", ref("web", false), ref("live", true)), rs("live")},
			gone:   []object{{"replicasets", "web"}},
			kept:   []object{{"pods", "a"}, {"pods", "b"}},
			owners: map[string][]string{"a": nil, "b": {"uid-live"}},
		},
		{
			name:   "an owner of a kind the API does not serve keeps its dependent",
			objs:   []scheme.Object{pod("a", other), pod("sentinel", ref("gone", true))},
			gone:   []object{{"pods", "sentinel"}},
			kept:   []object{{"pods", "a"}},
			owners: map[string][]string{"a": {"uid-w"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, tt.objs...)
			gc := run(t, srv)
			ctx := testContext(t)
			require.Eventually(t, func() bool {
				for _, o := range tt.gone {
					if exists(ctx, t, srv, o) {
						return false
					}
				}
				return gc.queue.Len() == 0
			}, 10*time.Second, time.Millisecond, "every object that must go is gone")
			for _, o := range tt.kept {
				require.True(t, exists(ctx, t, srv, o), "%s %s is kept", o.resource, o.name)
			}
			for name, want := range tt.owners {
				var got []string
				require.Eventually(t, func() bool {
					p, err := srv.Client().Pods("default").Get(ctx, name)
					require.NoError(t, err)
					got = nil
					for _, r := range p.GetMetadata().GetOwnerReferences() {
						got = append(got, r.GetUid())
					}
					return slices.Equal(want, got)
				}, 10*time.Second, time.Millisecond, "owners of pod %s: %v, want %v", name, got, want)
			}
		})
	}
}

// TestForegroundWaitsForBlockingDependents holds a blocking dependent with a finalizer: the
// owner keeps its foregroundDeletion finalizer until the dependent is gone.
func TestForegroundWaitsForBlockingDependents(t *testing.T) {
	held := pod("held", ref("web", true))
	held.Metadata.Finalizers = []string{"example.com/hold"}
	srv := clienttest.Start(t, rs("web", finalizerForeground), held)
	gc := run(t, srv)
	ctx := testContext(t)
	pods := srv.Client().Pods("default")
	require.Eventually(t, func() bool {
		p, err := pods.Get(ctx, "held")
		return err == nil && p.GetMetadata().GetDeletionTimestamp() != nil && gc.queue.Len() == 0
	}, 10*time.Second, time.Millisecond, "the blocking dependent is being deleted")
	owner, err := srv.Client().ReplicaSets("default").Get(ctx, "web")
	require.NoError(t, err, "the owner waits for its blocking dependent")
	require.Equal(t, []string{finalizerForeground}, owner.GetMetadata().GetFinalizers())

	// The test drops the finalizer as its holder would, retrying on a conflict with the
	// collector's own writes, as every client of a shared object does.
	require.Eventually(t, func() bool {
		p, err := pods.Get(ctx, "held")
		require.NoError(t, err)
		p.Metadata.Finalizers = nil
		_, err = pods.Update(ctx, p)
		if !apierrors.IsConflict(err) {
			require.NoError(t, err)
		}
		return err == nil
	}, 10*time.Second, time.Millisecond, "the finalizer is dropped")
	require.Eventually(t, func() bool {
		return !exists(ctx, t, srv, object{"replicasets", "web"})
	}, 10*time.Second, time.Millisecond, "the owner goes once its blocking dependent has")
}

// TestOwnerDeletedWhileRunning deletes an owner under a running collector: its dependents follow.
func TestOwnerDeletedWhileRunning(t *testing.T) {
	srv := clienttest.Start(t, rs("web"), pod("a", ref("web", true)), pod("b", ref("web", true)))
	gc := run(t, srv)
	ctx := testContext(t)
	require.Eventually(t, func() bool { return gc.queue.Len() == 0 }, 10*time.Second, time.Millisecond)
	require.True(t, exists(ctx, t, srv, object{"pods", "a"}))
	require.NoError(t, srv.Client().ReplicaSets("default").Delete(ctx, "web"))
	require.Eventually(t, func() bool {
		return !exists(ctx, t, srv, object{"pods", "a"}) && !exists(ctx, t, srv, object{"pods", "b"})
	}, 10*time.Second, time.Millisecond, "the dependents follow their owner")
}

// run starts the collector over srv with two workers on a fake clock; it stops with the test.
func run(t *testing.T, srv *clienttest.Server) *Controller {
	t.Helper()
	clk := clock.NewFake(epoch)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	gc, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	f.Start(ctx)
	go func() { done <- gc.Run(ctx, 2) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		f.Shutdown()
	})
	return gc
}

func exists(ctx context.Context, t *testing.T, srv *clienttest.Server, o object) bool {
	t.Helper()
	k, ok := srv.Client().Scheme().ByResource(scheme.GroupVersionResource{Group: groupOf(o.resource), Version: "v1", Resource: o.resource})
	require.True(t, ok)
	_, err := client.ForKind(srv.Client(), k, "default").Get(ctx, o.name)
	if apierrors.IsNotFound(err) {
		return false
	}
	require.NoError(t, err)
	return true
}

func groupOf(resource string) string {
	if resource == "replicasets" {
		return "apps"
	}
	return ""
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}
