package registry_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestUpdateOfADeletedObjectKeepsItWhileSomethingHoldsIt checks that an update of an object marked
// for deletion removes it only once nothing holds it any more: no metadata finalizer, no namespace
// spec finalizer, no grace period left to confirm.
func TestUpdateOfADeletedObjectKeepsItWhileSomethingHoldsIt(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	store := func(t *testing.T, resource string) *registry.Store {
		t.Helper()
		st, err := srv.Registry().Store(scheme.GroupVersionResource{Version: "v1", Resource: resource})
		require.NoError(t, err)
		return st
	}

	tests := []struct {
		name      string
		resource  string
		namespace string
		obj       scheme.Object
		// release changes the deleted object as the update under test does.
		release func(scheme.Object)
		// kept says whether the object must still exist after that update.
		kept bool
	}{
		{
			name: "one of two finalizers removed", resource: "configmaps", namespace: "default",
			obj:     &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "two-finalizers", Finalizers: []string{"a.example/x", "b.example/y"}}},
			release: func(o scheme.Object) { o.GetMetadata().Finalizers = []string{"b.example/y"} },
			kept:    true,
		},
		{
			name: "the other of two finalizers removed", resource: "configmaps", namespace: "default",
			obj:     &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "two-finalizers-other", Finalizers: []string{"a.example/x", "b.example/y"}}},
			release: func(o scheme.Object) { o.GetMetadata().Finalizers = []string{"a.example/x"} },
			kept:    true,
		},
		{
			name: "every finalizer removed", resource: "configmaps", namespace: "default",
			obj:     &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "all-finalizers", Finalizers: []string{"a.example/x", "b.example/y"}}},
			release: func(o scheme.Object) { o.GetMetadata().Finalizers = nil },
			kept:    false,
		},
		{
			name: "namespace spec finalizer left", resource: "namespaces",
			obj: &corev1.Namespace{
				Metadata: &metav1.ObjectMeta{Name: "held-by-spec", Finalizers: []string{"a.example/x"}},
				Spec:     &corev1.NamespaceSpec{Finalizers: []string{"kubernetes"}},
			},
			release: func(o scheme.Object) { o.GetMetadata().Finalizers = nil },
			kept:    true,
		},
		{
			name: "pod grace period left", resource: "pods", namespace: "default",
			obj: &corev1.Pod{
				Metadata: &metav1.ObjectMeta{Name: "held-by-grace", Finalizers: []string{"a.example/x"}},
				Spec:     &corev1.PodSpec{NodeName: "node-a", Containers: []*corev1.Container{{Name: "app", Image: "nginx"}}},
			},
			release: func(o scheme.Object) { o.GetMetadata().Finalizers = nil },
			kept:    true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := store(t, tc.resource)
			name := tc.obj.GetMetadata().GetName()
			_, err := st.Create(ctx, tc.namespace, tc.obj, registry.CreateOptions{})
			require.NoError(t, err)
			deleted, gone, err := st.Delete(ctx, tc.namespace, name, registry.DeleteOptions{})
			require.NoError(t, err)
			require.False(t, gone, "finalizers hold the deleted object")
			require.NotNil(t, deleted.GetMetadata().GetDeletionTimestamp())

			cur, err := st.Get(ctx, tc.namespace, name, registry.GetOptions{})
			require.NoError(t, err)
			tc.release(cur)
			want := slices.Clone(cur.GetMetadata().GetFinalizers())
			_, err = st.Update(ctx, tc.namespace, cur, registry.UpdateOptions{})
			require.NoError(t, err)

			got, err := st.Get(ctx, tc.namespace, name, registry.GetOptions{})
			if !tc.kept {
				require.True(t, apierrors.IsNotFound(err), "nothing holds the object any more, so the update removed it: %v", err)
				return
			}
			require.NoError(t, err, "something still holds the deleted object")
			require.NotNil(t, got.GetMetadata().GetDeletionTimestamp())
			require.Equal(t, want, got.GetMetadata().GetFinalizers())
		})
	}
}
