package priorities

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// NodeAffinity favours nodes that match the pod's preferred node affinity terms: the sum of the
// matching terms' weights, scaled so the best node scores 100.
type NodeAffinity struct{}

// Name implements algorithm.Priority.
func (NodeAffinity) Name() string { return NameNodeAffinity }

// PreScore implements algorithm.PreScore. Terms that do not compile are ignored: preferences
// cannot make a pod unschedulable.
func (NodeAffinity) PreScore(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, _ *nodeinfo.Snapshot, _ []*nodeinfo.NodeInfo) error {
	pref, err := nodeaffinity.NewPreferred(pod.Pod)
	if err != nil || pref.Empty() {
		return algorithm.ErrSkip
	}
	state.Write(NameNodeAffinity, pref)
	return nil
}

// Score implements algorithm.Priority.
func (NodeAffinity) Score(state *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	pref, err := algorithm.Read[*nodeaffinity.Preferred](state, NameNodeAffinity)
	if err != nil || pref.Empty() {
		return 0
	}
	return pref.Score(ni.Node())
}

// Normalize implements algorithm.Normalizer.
func (NodeAffinity) Normalize(_ *algorithm.CycleState, _ *nodeinfo.PodInfo, _ []*nodeinfo.NodeInfo, scores []int64) {
	normalizeToMax(scores, false)
}

// normalizeToMax scales scores so that the largest becomes MaxNodeScore; reverse then flips them
// so that the smallest does. All-zero scores become 0 (MaxNodeScore when reversed).
func normalizeToMax(scores []int64, reverse bool) {
	var top int64
	for _, s := range scores {
		top = max(top, s)
	}
	for i, s := range scores {
		switch {
		case top == 0 && reverse:
			scores[i] = algorithm.MaxNodeScore
		case top == 0:
			scores[i] = 0
		case reverse:
			scores[i] = algorithm.MaxNodeScore - s*algorithm.MaxNodeScore/top
		default:
			scores[i] = s * algorithm.MaxNodeScore / top
		}
	}
}
