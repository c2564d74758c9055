package predicates

import (
	"github.com/keelson-dev/keelson/pkg/taints"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// TaintToleration rules out nodes with a NoSchedule or NoExecute taint the pod does not
// tolerate.
type TaintToleration struct{}

// Name implements algorithm.Predicate.
func (TaintToleration) Name() string { return NamePodToleratesNodeTaints }

// Filter implements algorithm.Predicate.
func (TaintToleration) Filter(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	taint := taints.FirstUntolerated(ni.Node().GetSpec().GetTaints(), pod.Pod.GetSpec().GetTolerations(),
		taints.EffectNoSchedule, taints.EffectNoExecute)
	if taint == nil {
		return nil
	}
	return []algorithm.Reason{algorithm.NewReason("taint " + taints.Format(taint) + " not tolerated")}
}
