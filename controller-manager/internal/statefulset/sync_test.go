package statefulset

import (
	"testing"

	"github.com/stretchr/testify/require"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestOrderedReadyCreatesOneAtATimeInOrder(t *testing.T) {
	h := start(t, webSet(3, OrderedReady))
	h.sync(t)
	require.Equal(t, []string{"web-0"}, h.names(t))
	h.sync(t)
	require.Equal(t, []string{"web-0"}, h.names(t), "web-1 waits until web-0 is Running and Ready")

	p := h.pods(t)["web-0"]
	require.Equal(t, "web-0", p.GetSpec().GetHostname())
	require.Equal(t, "web-svc", p.GetSpec().GetSubdomain())
	require.Equal(t, "web-0", p.GetMetadata().GetLabels()[PodNameLabel])
	require.Equal(t, "0", p.GetMetadata().GetLabels()[PodIndexLabel])
	require.Equal(t, h.set(t).GetStatus().GetUpdateRevision(), p.GetMetadata().GetLabels()[RevisionLabel])
	require.True(t, controllerRef(p.GetMetadata()).GetController())

	h.ready(t, "web-0")
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t))
	h.ready(t, "web-1")
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1", "web-2"}, h.names(t))
	h.ready(t, "web-2")
	h.sync(t)
	st := h.set(t).GetStatus()
	require.EqualValues(t, 3, st.GetReplicas())
	require.EqualValues(t, 3, st.GetReadyReplicas())
	require.EqualValues(t, 3, st.GetAvailableReplicas())
	require.EqualValues(t, 3, st.GetCurrentReplicas())
	require.EqualValues(t, 3, st.GetUpdatedReplicas())
	require.Equal(t, st.GetCurrentRevision(), st.GetUpdateRevision())
}

func TestParallelCreatesAndDeletesAtOnce(t *testing.T) {
	h := start(t, webSet(3, Parallel))
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1", "web-2"}, h.names(t), "Parallel does not wait for readiness")
	h.update(t, func(s *appsv1.StatefulSet) { one := int32(1); s.Spec.Replicas = &one })
	h.sync(t)
	require.Equal(t, []string{"web-0"}, h.names(t))
}

func TestOrderedReadyScalesDownInReverse(t *testing.T) {
	h := start(t, webSet(3, Parallel))
	h.sync(t)
	h.ready(t, "web-0", "web-1", "web-2")
	h.update(t, func(s *appsv1.StatefulSet) {
		one := int32(1)
		s.Spec.Replicas, s.Spec.PodManagementPolicy = &one, OrderedReady
	})
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t), "the highest ordinal goes first")
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t), "web-1 waits until web-2 is gone")
	h.finish(t)
	h.sync(t)
	require.Equal(t, []string{"web-0"}, h.names(t))
}

func TestScaleDownWaitsForAHealthySet(t *testing.T) {
	h := start(t, webSet(3, Parallel))
	h.sync(t)
	h.ready(t, "web-0", "web-2")
	h.update(t, func(s *appsv1.StatefulSet) {
		two := int32(2)
		s.Spec.Replicas, s.Spec.PodManagementPolicy = &two, OrderedReady
	})
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1", "web-2"}, h.names(t), "web-1 is not ready: no scale down")
	h.ready(t, "web-1")
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t))
}

func TestFailedPodIsReplaced(t *testing.T) {
	h := start(t, webSet(1, OrderedReady))
	h.sync(t)
	p := h.pods(t)["web-0"]
	p.Status = &corev1.PodStatus{Phase: "Failed"}
	_, err := h.srv.Client().Pods("default").UpdateStatus(h.ctx, p)
	require.NoError(t, err)
	h.sync(t)
	h.finish(t)
	h.sync(t)
	again := h.pods(t)["web-0"]
	require.NotNil(t, again)
	require.NotEqual(t, p.GetMetadata().GetUid(), again.GetMetadata().GetUid(), "a new web-0")
}

func TestRollingUpdateWithPartition(t *testing.T) {
	h := start(t, webSet(3, Parallel))
	h.sync(t)
	h.ready(t, "web-0", "web-1", "web-2")
	h.sync(t)
	oldRev := h.set(t).GetStatus().GetCurrentRevision()
	h.update(t, func(s *appsv1.StatefulSet) {
		s.Spec.Template.Spec.Containers[0].Image = "img:2"
		part := int32(1)
		s.Spec.UpdateStrategy = &appsv1.StatefulSetUpdateStrategy{Type: "RollingUpdate",
			RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: &part}}
	})
	image := func(n string) string { return h.pods(t)[n].GetSpec().GetContainers()[0].GetImage() }

	h.sync(t)
	newRev := h.set(t).GetStatus().GetUpdateRevision()
	require.NotEqual(t, oldRev, newRev)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t), "the highest ordinal is replaced first")
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t), "one pod at a time: web-1 waits for web-2")
	h.finish(t)
	h.sync(t)
	require.Equal(t, "img:2", image("web-2"))
	require.Equal(t, newRev, h.pods(t)["web-2"].GetMetadata().GetLabels()[RevisionLabel])
	h.sync(t)
	require.Equal(t, "img:1", image("web-1"), "web-1 waits until the new web-2 is ready")
	h.ready(t, "web-2")
	h.sync(t)
	h.finish(t)
	h.sync(t)
	h.ready(t, "web-1")
	h.sync(t)
	require.Equal(t, "img:2", image("web-1"))
	require.Equal(t, "img:1", image("web-0"), "below the partition")

	st := h.set(t).GetStatus()
	require.Equal(t, oldRev, st.GetCurrentRevision(), "the update is not complete below the partition")
	require.EqualValues(t, 1, st.GetCurrentReplicas())
	require.EqualValues(t, 2, st.GetUpdatedReplicas())

	// A pod below the partition that is deleted comes back at the current revision.
	h.remove(t, "web-0")
	h.sync(t)
	require.Equal(t, "img:1", image("web-0"))
	require.Equal(t, oldRev, h.pods(t)["web-0"].GetMetadata().GetLabels()[RevisionLabel])

	// Partition 0 finishes the rollout, and the update becomes the current revision.
	h.update(t, func(s *appsv1.StatefulSet) { zero := int32(0); s.Spec.UpdateStrategy.RollingUpdate.Partition = &zero })
	h.ready(t, "web-0")
	h.sync(t)
	h.finish(t)
	h.sync(t)
	h.ready(t, "web-0")
	h.sync(t)
	require.Equal(t, "img:2", image("web-0"))
	st = h.set(t).GetStatus()
	require.Equal(t, newRev, st.GetCurrentRevision())
	require.EqualValues(t, 3, st.GetCurrentReplicas())
}

func TestOnDeleteLeavesPodsUntilDeleted(t *testing.T) {
	set := webSet(2, Parallel)
	set.Spec.UpdateStrategy = &appsv1.StatefulSetUpdateStrategy{Type: OnDelete}
	h := start(t, set)
	h.sync(t)
	h.ready(t, "web-0", "web-1")
	h.update(t, func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "img:2" })
	h.sync(t)
	require.Equal(t, []string{"web-0", "web-1"}, h.names(t), "OnDelete deletes nothing")
	h.remove(t, "web-1")
	h.sync(t)
	require.Equal(t, "img:2", h.pods(t)["web-1"].GetSpec().GetContainers()[0].GetImage(), "recreated at the update revision")
	require.Equal(t, "img:1", h.pods(t)["web-0"].GetSpec().GetContainers()[0].GetImage())
}
