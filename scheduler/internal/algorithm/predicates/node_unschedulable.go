package predicates

import (
	"github.com/keelson-dev/keelson/pkg/taints"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// unschedulableTaint is the taint a cordoned node is treated as carrying: a pod that tolerates it
// (as DaemonSet pods do) may still land on the node.
var unschedulableTaint = &corev1.Taint{Key: "node.kubernetes.io/unschedulable", Effect: taints.EffectNoSchedule}

// NodeUnschedulable rules out cordoned nodes (spec.unschedulable) for pods that do not tolerate
// node.kubernetes.io/unschedulable:NoSchedule.
type NodeUnschedulable struct{}

// Name implements algorithm.Predicate.
func (NodeUnschedulable) Name() string { return NameCheckNodeUnschedulable }

// Filter implements algorithm.Predicate.
func (NodeUnschedulable) Filter(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	if !ni.Node().GetSpec().GetUnschedulable() {
		return nil
	}
	if taints.AnyTolerates(pod.Pod.GetSpec().GetTolerations(), unschedulableTaint) {
		return nil
	}
	return []algorithm.Reason{algorithm.NewReason("node is unschedulable")}
}
