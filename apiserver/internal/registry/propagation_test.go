package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestDeleteRecordsPropagationInFinalizers deletes objects with propagation policies, one delete
// after another: each records its policy as the garbage collector's finalizer, replacing what an
// earlier delete recorded, and a delete naming no policy leaves the finalizers alone.
func TestDeleteRecordsPropagationInFinalizers(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	st, err := srv.Registry().Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)

	tests := []struct {
		name       string
		finalizers []string
		// policies are the propagation policies of the deletes, in order ("" names none).
		policies []string
		// want are the finalizers left; gone says the object left storage instead.
		want []string
		gone bool
	}{
		{name: "background deletes at once", policies: []string{registry.PropagationBackground}, gone: true},
		{name: "no policy deletes at once", policies: []string{""}, gone: true},
		{name: "orphan waits with its finalizer", policies: []string{registry.PropagationOrphan}, want: []string{registry.FinalizerOrphan}},
		{name: "foreground waits with its finalizer", policies: []string{registry.PropagationForeground}, want: []string{registry.FinalizerForeground}},
		{name: "a foreground delete turned orphan", policies: []string{registry.PropagationForeground, registry.PropagationOrphan},
			want: []string{registry.FinalizerOrphan}},
		{name: "an orphan delete turned background goes", policies: []string{registry.PropagationOrphan, registry.PropagationBackground}, gone: true},
		{name: "a later delete without a policy keeps the first one's", finalizers: []string{"a.example/x"},
			policies: []string{registry.PropagationForeground, ""}, want: []string{"a.example/x", registry.FinalizerForeground}},
		{name: "background keeps other finalizers", finalizers: []string{"a.example/x"},
			policies: []string{registry.PropagationOrphan, registry.PropagationBackground}, want: []string{"a.example/x"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "propagation-" + string(rune('a'+i))
			_, err := st.Create(ctx, "default", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: name, Finalizers: tc.finalizers}},
				registry.CreateOptions{})
			require.NoError(t, err)
			for _, p := range tc.policies {
				_, _, err := st.Delete(ctx, "default", name, registry.DeleteOptions{PropagationPolicy: p})
				require.NoError(t, err)
			}
			obj, err := st.Get(ctx, "default", name, registry.GetOptions{})
			if tc.gone {
				require.True(t, apierrors.IsNotFound(err), "the object is gone: %v", err)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, obj.GetMetadata().GetDeletionTimestamp())
			require.Equal(t, tc.want, obj.GetMetadata().GetFinalizers())
		})
	}
}
