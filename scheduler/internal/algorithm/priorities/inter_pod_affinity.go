package priorities

import (
	"context"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// hardAffinityWeight is how much a placed pod's required affinity for the pod counts when
// scoring, as if it were a preferred term of that weight; kube-scheduler's default.
const hardAffinityWeight = 1

// InterPodAffinity favours nodes in topology domains with pods the pod prefers to be near and
// away from pods it prefers to avoid, and symmetrically by the preferences (and required
// affinity) of the pods already placed. Scores are scaled to [0, 100] between the worst and best
// node.
type InterPodAffinity struct {
	nsLabels nodeinfo.NamespaceLabels
}

// NewInterPodAffinity returns the priority; nsLabels resolves the terms' namespace selectors.
func NewInterPodAffinity(nsLabels nodeinfo.NamespaceLabels) *InterPodAffinity {
	return &InterPodAffinity{nsLabels: nsLabels}
}

// Name implements algorithm.Priority.
func (*InterPodAffinity) Name() string { return NameInterPodAffinity }

// topologyScores maps a topology key and value to the score of that domain.
type topologyScores map[string]map[string]int64

func (s topologyScores) add(key, value string, w int64) {
	if w == 0 {
		return
	}
	m := s[key]
	if m == nil {
		m = map[string]int64{}
		s[key] = m
	}
	m[value] += w
}

// PreScore implements algorithm.PreScore: it scores every topology domain.
func (p *InterPodAffinity) PreScore(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot, _ []*nodeinfo.NodeInfo) error {
	scores := topologyScores{}
	nodes := snap.HavePodsWithAffinityList
	if len(pod.PreferredAffinity)+len(pod.PreferredAntiAffinity) > 0 {
		nodes = snap.NodeInfoList // every placed pod may be one the pod has a preference about
	}
	for _, ni := range nodes {
		nodeLabels := ni.Node().GetMetadata().GetLabels()
		existing := ni.PodsWithAffinity
		if len(pod.PreferredAffinity)+len(pod.PreferredAntiAffinity) > 0 {
			existing = ni.Pods
		}
		for _, other := range existing {
			p.score(scores, pod, other, nodeLabels)
		}
	}
	if len(scores) == 0 {
		return algorithm.ErrSkip
	}
	state.Write(NameInterPodAffinity, scores)
	return nil
}

// score adds what one placed pod, on a node with nodeLabels, means to the domains.
func (p *InterPodAffinity) score(scores topologyScores, pod, other *nodeinfo.PodInfo, nodeLabels map[string]string) {
	apply := func(terms []nodeinfo.AffinityTerm, target *nodeinfo.PodInfo, sign, fixed int64) {
		for i := range terms {
			t := &terms[i]
			v, ok := nodeLabels[t.TopologyKey]
			if !ok || !t.Matches(target.Pod, p.nsLabels) {
				continue
			}
			w := int64(t.Weight)
			if fixed != 0 {
				w = fixed
			}
			scores.add(t.TopologyKey, v, sign*w)
		}
	}
	apply(pod.PreferredAffinity, other, 1, 0)
	apply(pod.PreferredAntiAffinity, other, -1, 0)
	apply(other.RequiredAffinity, pod, 1, hardAffinityWeight)
	apply(other.PreferredAffinity, pod, 1, 0)
	apply(other.PreferredAntiAffinity, pod, -1, 0)
}

// Score implements algorithm.Priority: the sum of the scores of the node's domains.
func (*InterPodAffinity) Score(state *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	scores, err := algorithm.Read[topologyScores](state, NameInterPodAffinity)
	if err != nil || len(scores) == 0 {
		return 0
	}
	var sum int64
	for key, values := range scores {
		if v, ok := ni.Node().GetMetadata().GetLabels()[key]; ok {
			sum += values[v]
		}
	}
	return sum
}

// Normalize implements algorithm.Normalizer: scores are scaled between the lowest and highest.
func (*InterPodAffinity) Normalize(_ *algorithm.CycleState, _ *nodeinfo.PodInfo, _ []*nodeinfo.NodeInfo, scores []int64) {
	if len(scores) == 0 {
		return
	}
	lo, hi := scores[0], scores[0]
	for _, s := range scores {
		lo, hi = min(lo, s), max(hi, s)
	}
	for i, s := range scores {
		if hi == lo {
			scores[i] = 0
			continue
		}
		scores[i] = algorithm.MaxNodeScore * (s - lo) / (hi - lo)
	}
}
