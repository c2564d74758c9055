package controller

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// withReplicas returns the withStatus of UpdateStatus for a status of n replicas computed from
// generation gen.
func withReplicas(n int32, gen int64) func(*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	return func(base *appsv1.ReplicaSet) *appsv1.ReplicaSet {
		rs := base.CloneVT()
		rs.Status = &appsv1.ReplicaSetStatus{Replicas: n, ObservedGeneration: min(gen, base.GetMetadata().GetGeneration())}
		return rs
	}
}

func TestUpdateStatus(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// stale makes the object UpdateStatus gets older than the stored one.
		stale bool
		// replace deletes the stored object and creates another of the same name first.
		replace, remove bool
		wantReplicas    int32
		wantGeneration  int64
		wantStatusCalls int
	}{
		{name: "current object: one write", wantReplicas: 5, wantGeneration: 1, wantStatusCalls: 1},
		{name: "stale object: retried on the latest", stale: true, wantReplicas: 5, wantGeneration: 1, wantStatusCalls: 2},
		{name: "deleted object: nothing to write", remove: true, wantStatusCalls: 1},
		{name: "replaced object: the new one keeps its own status", replace: true, stale: true, wantReplicas: 0, wantStatusCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t)
			sets := srv.Client().ReplicaSets("default")
			rs, err := sets.Create(ctx, &appsv1.ReplicaSet{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: &appsv1.ReplicaSetSpec{}})
			require.NoError(t, err)
			seen := rs
			if tt.stale {
				next := rs.CloneVT()
				next.Metadata.Labels = map[string]string{"edited": "true"}
				_, err = sets.Update(ctx, next)
				require.NoError(t, err)
			}
			if tt.remove || tt.replace {
				require.NoError(t, sets.Delete(ctx, "web"))
			}
			if tt.replace {
				_, err = sets.Create(ctx, &appsv1.ReplicaSet{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: &appsv1.ReplicaSetSpec{}})
				require.NoError(t, err)
			}

			require.NoError(t, UpdateStatus(ctx, sets, seen, withReplicas(5, seen.GetMetadata().GetGeneration())))
			require.Equal(t, tt.wantStatusCalls, srv.Calls(clienttest.UpdateStatus, "replicasets"))
			if tt.remove {
				return
			}
			stored, err := sets.Get(ctx, "web")
			require.NoError(t, err)
			require.Equal(t, tt.wantReplicas, stored.GetStatus().GetReplicas())
			require.Equal(t, tt.wantGeneration, stored.GetStatus().GetObservedGeneration())
			if tt.stale && !tt.replace {
				require.Equal(t, "true", stored.GetMetadata().GetLabels()["edited"], "the retry keeps the newer metadata")
			}
		})
	}
}
