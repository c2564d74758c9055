package clienttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func pod(name, node string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels},
		Spec:     &corev1.PodSpec{NodeName: node},
	}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestWritesFollowAPISemantics drives the fake through the real client, verb by verb.
func TestWritesFollowAPISemantics(t *testing.T) {
	ctx := testContext(t)
	srv := clienttest.Start(t, pod("seeded", "", nil))
	pods := srv.Client().Pods("default")

	created, err := pods.Create(ctx, pod("p", "", map[string]string{"app": "web"}))
	require.NoError(t, err)
	require.NotEmpty(t, created.GetMetadata().GetUid())
	require.NotEmpty(t, created.GetMetadata().GetResourceVersion())
	_, err = pods.Create(ctx, pod("p", "", nil))
	require.True(t, apierrors.IsAlreadyExists(err), "got %v", err)

	stale := created.CloneVT()
	created.Status = &corev1.PodStatus{Phase: "Running"}
	withStatus, err := pods.UpdateStatus(ctx, created)
	require.NoError(t, err)
	require.Equal(t, "Running", withStatus.GetStatus().GetPhase())

	stale.Metadata.Labels["app"] = "db"
	_, err = pods.Update(ctx, stale)
	require.True(t, apierrors.IsConflict(err), "a stale resourceVersion conflicts: %v", err)
	stale.Metadata.ResourceVersion = ""
	updated, err := pods.Update(ctx, stale)
	require.NoError(t, err)
	require.Equal(t, "db", updated.GetMetadata().GetLabels()["app"])
	require.Equal(t, "Running", updated.GetStatus().GetPhase(), "an update keeps the status")

	require.NoError(t, pods.Bind(ctx, "p", "node-a"))
	err = pods.Bind(ctx, "p", "node-b")
	require.True(t, apierrors.IsConflict(err), "a bound pod cannot be bound again: %v", err)
	stored, ok := clienttest.Stored[*corev1.Pod](srv, "default", "p")
	require.True(t, ok)
	require.Equal(t, "node-a", stored.GetSpec().GetNodeName())

	require.NoError(t, pods.Delete(ctx, "p"))
	_, err = pods.Get(ctx, "p")
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
	_, err = pods.Patch(ctx, "seeded", client.MergePatch, []byte(`{}`))
	require.Error(t, err, "patches are refused, not faked")
}

func TestListSelects(t *testing.T) {
	ctx := testContext(t)
	srv := clienttest.Start(t,
		pod("a", "node-1", map[string]string{"app": "web"}),
		pod("b", "", map[string]string{"app": "web"}),
		pod("c", "node-1", map[string]string{"app": "db"}),
	)
	tests := []struct {
		name string
		opts client.ListOptions
		want []string
	}{
		{name: "everything", want: []string{"a", "b", "c"}},
		{name: "label", opts: client.ListOptions{LabelSelector: "app=web"}, want: []string{"a", "b"}},
		{name: "field", opts: client.ListOptions{FieldSelector: "spec.nodeName="}, want: []string{"b"}},
		{name: "both", opts: client.ListOptions{LabelSelector: "app=web", FieldSelector: "spec.nodeName=node-1"}, want: []string{"a"}},
		{name: "metadata field", opts: client.ListOptions{FieldSelector: "metadata.name!=a"}, want: []string{"b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := srv.Client().Pods("").List(ctx, tt.opts)
			require.NoError(t, err)
			var names []string
			for _, p := range list.Items {
				names = append(names, p.GetMetadata().GetName())
			}
			require.Equal(t, tt.want, names)
			require.Equal(t, srv.ResourceVersion(), list.ResourceVersion)
		})
	}
}

func next(t *testing.T, w *client.Watcher[*corev1.Pod]) client.Event[*corev1.Pod] {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		require.True(t, ok, "watch ended: %v", w.Err())
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
		return client.Event[*corev1.Pod]{}
	}
}

func TestWatchStartsResumesAndExpires(t *testing.T) {
	ctx := testContext(t)
	srv := clienttest.Start(t, pod("a", "", nil))
	pods := srv.Client().Pods("default")

	w, err := pods.Watch(ctx, client.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()
	ev := next(t, w)
	require.Equal(t, client.Added, ev.Type, "a watch from nothing starts with the current state")
	require.Equal(t, "a", ev.Object.GetMetadata().GetName())
	rv := ev.Object.GetMetadata().GetResourceVersion()

	_, err = pods.Create(ctx, pod("b", "", nil))
	require.NoError(t, err)
	require.NoError(t, pods.Delete(ctx, "a"))
	require.Equal(t, client.Added, next(t, w).Type)
	require.Equal(t, client.Deleted, next(t, w).Type)

	resumed, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: rv})
	require.NoError(t, err)
	defer resumed.Stop()
	require.Equal(t, "b", next(t, resumed).Object.GetMetadata().GetName(), "a resumed watch replays what followed")
	require.Equal(t, "a", next(t, resumed).Object.GetMetadata().GetName())

	srv.Compact()
	_, err = pods.Watch(ctx, client.ListOptions{ResourceVersion: rv})
	require.True(t, apierrors.IsGone(err), "a compacted version is gone: %v", err)
	require.Equal(t, 3, srv.Calls(clienttest.Watch, "pods"))
}

func TestInterceptFailsCalls(t *testing.T) {
	ctx := testContext(t)
	srv := clienttest.Start(t, pod("a", "", nil))
	var seen []clienttest.Call
	srv.Intercept(func(c clienttest.Call) error {
		seen = append(seen, c)
		if c.Verb == clienttest.UpdateStatus {
			return apierrors.NewConflict("", "pods", c.Name, "injected")
		}
		return nil
	})
	p, err := srv.Client().Pods("default").Get(ctx, "a")
	require.NoError(t, err)
	_, err = srv.Client().Pods("default").UpdateStatus(ctx, p)
	require.True(t, apierrors.IsConflict(err), "the injected reason crosses the wire: %v", err)
	require.Equal(t, []clienttest.Call{
		{Verb: clienttest.Get, Resource: "pods", Namespace: "default", Name: "a"},
		{Verb: clienttest.UpdateStatus, Resource: "pods", Namespace: "default", Name: "a"},
	}, seen)
	require.Equal(t, 1, srv.Calls(clienttest.UpdateStatus, "pods"))
}

// TestForKindServesAKindLearnedAtRunTime lists and deletes through the untyped client.
func TestForKindServesAKindLearnedAtRunTime(t *testing.T) {
	ctx := testContext(t)
	srv := clienttest.Start(t, pod("a", "", nil), pod("b", "", nil))
	c := srv.Client()
	k, ok := c.Scheme().ForObject(&corev1.Pod{})
	require.True(t, ok)
	pods := client.ForKind(c, k, "default")
	list, err := pods.List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 2)
	_, isPod := list.Items[0].(*corev1.Pod)
	require.True(t, isPod, "items are the kind's messages")
	require.NoError(t, pods.Delete(ctx, "a"))
	_, ok = clienttest.Stored[*corev1.Pod](srv, "default", "a")
	require.False(t, ok)
}

// TestFinalizersHoldDeletion deletes held objects: they stay, marked, until the last finalizer
// goes, through an update or, for a namespace, its finalize subresource.
func TestFinalizersHoldDeletion(t *testing.T) {
	ctx := testContext(t)
	held := pod("held", "", nil)
	held.Metadata.Finalizers = []string{"example.com/hold"}
	srv := clienttest.Start(t, held, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: "team"},
		Spec: &corev1.NamespaceSpec{Finalizers: []string{"kubernetes"}}})
	c := srv.Client()

	require.NoError(t, c.Pods("default").Delete(ctx, "held"))
	p, err := c.Pods("default").Get(ctx, "held")
	require.NoError(t, err)
	require.NotNil(t, p.GetMetadata().GetDeletionTimestamp())
	p.Metadata.Finalizers = nil
	_, err = c.Pods("default").Update(ctx, p)
	require.NoError(t, err)
	_, err = c.Pods("default").Get(ctx, "held")
	require.True(t, apierrors.IsNotFound(err), "gone with its last finalizer: %v", err)

	require.NoError(t, c.Namespaces().Delete(ctx, "team"))
	ns, err := c.Namespaces().Get(ctx, "team")
	require.NoError(t, err)
	require.Equal(t, "Terminating", ns.GetStatus().GetPhase())
	ns.Spec.Finalizers = nil
	_, err = c.Namespaces().UpdateSubresource(ctx, ns, "finalize")
	require.NoError(t, err)
	_, err = c.Namespaces().Get(ctx, "team")
	require.True(t, apierrors.IsNotFound(err), "finalized namespace is gone: %v", err)
}
