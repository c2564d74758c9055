package replicaset

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/labels"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestStatusConversionKeepsEveryField round-trips a status with every field set through the
// ReplicationController's status type.
func TestStatusConversionKeepsEveryField(t *testing.T) {
	st := &appsv1.ReplicaSetStatus{
		Replicas: 1, FullyLabeledReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 4, ObservedGeneration: 5,
		Conditions: []*appsv1.ReplicaSetCondition{{Type: ReplicaFailure, Status: "True", Reason: "FailedCreate",
			Message: "no", LastTransitionTime: timestamppb.New(t0)}},
	}
	rcs := ReplicationControllers()
	rc := rcs.WithStatus(&corev1.ReplicationController{}, st)
	require.Equal(t, int32(4), rc.GetStatus().GetAvailableReplicas())
	require.Equal(t, "FailedCreate", rc.GetStatus().GetConditions()[0].GetReason())
	require.True(t, proto.Equal(st, rcs.Status(rc)), "got %v", rcs.Status(rc))
	require.Equal(t, st.ProtoReflect().Descriptor().Fields().Len(), rc.GetStatus().ProtoReflect().Descriptor().Fields().Len())
	require.Equal(t, (&appsv1.ReplicaSetCondition{}).ProtoReflect().Descriptor().Fields().Len(),
		(&corev1.ReplicationControllerCondition{}).ProtoReflect().Descriptor().Fields().Len())
}

// TestReplicationController runs the shared reconcile on a ReplicationController: its map
// selector adopts, it creates the rest, and owner references and status are the RC's.
func TestReplicationController(t *testing.T) {
	replicas := int32(3)
	rc := &corev1.ReplicationController{
		Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default", Uid: "uid-rc"},
		Spec:     &corev1.ReplicationControllerSpec{Replicas: &replicas, Selector: map[string]string{"app": "web"}, Template: template()},
	}
	h := start(t, ReplicationControllers(), rc, pod("orphan"), pod("other", withLabels(map[string]string{"app": "db"})))
	_, err := h.reconcile(t, rsKey)
	require.NoError(t, err)
	_, err = h.reconcile(t, rsKey)
	require.NoError(t, err)
	got := h.pods(t)
	require.Len(t, got, 4)
	owned := 0
	for _, p := range got {
		if refs := p.GetMetadata().GetOwnerReferences(); len(refs) == 1 {
			require.Equal(t, []string{"v1", "ReplicationController", "web", "uid-rc"},
				[]string{refs[0].GetApiVersion(), refs[0].GetKind(), refs[0].GetName(), refs[0].GetUid()})
			owned++
		}
	}
	require.Equal(t, 3, owned)
	require.Empty(t, got["other"].GetMetadata().GetOwnerReferences())
	stored, ok := clienttest.Stored[*corev1.ReplicationController](h.srv, "default", "web")
	require.True(t, ok)
	require.Equal(t, int32(3), stored.GetStatus().GetReplicas())
	require.Equal(t, int32(3), stored.GetStatus().GetFullyLabeledReplicas())
}

func TestReplicationControllerSelectorDefaultsToTemplateLabels(t *testing.T) {
	rc := &corev1.ReplicationController{Spec: &corev1.ReplicationControllerSpec{Template: template()}}
	spec, err := ReplicationControllers().Spec(rc)
	require.NoError(t, err)
	require.True(t, spec.Selector.Matches(labels.Set{"app": "web", "tier": "front"}))
	require.False(t, spec.Selector.Matches(labels.Set{"app": "web"}))
	require.Equal(t, int32(1), spec.Replicas, "unset replicas mean one")
}
