package priorities

import (
	"github.com/keelson-dev/keelson/pkg/taints"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// TaintToleration favours nodes with fewer PreferNoSchedule taints the pod does not tolerate.
type TaintToleration struct{}

// Name implements algorithm.Priority.
func (TaintToleration) Name() string { return NameTaintToleration }

// Score implements algorithm.Priority: the number of intolerable PreferNoSchedule taints.
func (TaintToleration) Score(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	var count int64
	tols := pod.Pod.GetSpec().GetTolerations()
	for _, t := range ni.Node().GetSpec().GetTaints() {
		if t.GetEffect() != taints.EffectPreferNoSchedule {
			continue
		}
		tolerated := false
		for _, tol := range tols {
			// Only tolerations that speak of PreferNoSchedule (or of every effect) count.
			if (tol.GetEffect() == "" || tol.GetEffect() == taints.EffectPreferNoSchedule) && taints.Tolerates(tol, t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			count++
		}
	}
	return count
}

// Normalize implements algorithm.Normalizer: fewer such taints score higher.
func (TaintToleration) Normalize(_ *algorithm.CycleState, _ *nodeinfo.PodInfo, _ []*nodeinfo.NodeInfo, scores []int64) {
	normalizeToMax(scores, true)
}
