package predicates

import (
	"context"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// InterPodAffinity rules out nodes that break required inter-pod affinity rules by topology:
// the pod's affinity (pods it must share a topology domain with), its anti-affinity (pods it must
// not), and the anti-affinity of pods already placed (the pod must not enter their domains).
type InterPodAffinity struct {
	nsLabels nodeinfo.NamespaceLabels
}

// NewInterPodAffinity returns the predicate; nsLabels resolves the terms' namespace selectors.
func NewInterPodAffinity(nsLabels nodeinfo.NamespaceLabels) *InterPodAffinity {
	return &InterPodAffinity{nsLabels: nsLabels}
}

// topologyPair is one topology domain: a node label and its value.
type topologyPair struct {
	key, value string
}

// interPodAffinityState counts, per topology domain, the pods that matter to the pod.
type interPodAffinityState struct {
	// existingAnti counts placed pods whose required anti-affinity terms select the pod.
	existingAnti map[topologyPair]int64
	// affinity counts placed pods that match all of the pod's required affinity terms, and
	// anti the placed pods each of its anti-affinity terms selects.
	affinity, anti map[topologyPair]int64
}

// Name implements algorithm.Predicate.
func (*InterPodAffinity) Name() string { return NameMatchInterPodAffinity }

// PreFilter implements algorithm.PreFilter.
func (p *InterPodAffinity) PreFilter(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot) error {
	st := &interPodAffinityState{
		existingAnti: map[topologyPair]int64{},
		affinity:     map[topologyPair]int64{},
		anti:         map[topologyPair]int64{},
	}
	for _, ni := range snap.HavePodsWithRequiredAntiAffinityList {
		nodeLabels := ni.Node().GetMetadata().GetLabels()
		for _, existing := range ni.PodsWithRequiredAntiAffinity {
			for i := range existing.RequiredAntiAffinity {
				t := &existing.RequiredAntiAffinity[i]
				if v, ok := nodeLabels[t.TopologyKey]; ok && t.Matches(pod.Pod, p.nsLabels) {
					st.existingAnti[topologyPair{t.TopologyKey, v}]++
				}
			}
		}
	}
	if len(pod.RequiredAffinity) > 0 || len(pod.RequiredAntiAffinity) > 0 {
		for _, ni := range snap.NodeInfoList {
			nodeLabels := ni.Node().GetMetadata().GetLabels()
			for _, existing := range ni.Pods {
				if matchesAll(pod.RequiredAffinity, existing, p.nsLabels) {
					for _, t := range pod.RequiredAffinity {
						if v, ok := nodeLabels[t.TopologyKey]; ok {
							st.affinity[topologyPair{t.TopologyKey, v}]++
						}
					}
				}
				for i := range pod.RequiredAntiAffinity {
					t := &pod.RequiredAntiAffinity[i]
					if v, ok := nodeLabels[t.TopologyKey]; ok && t.Matches(existing.Pod, p.nsLabels) {
						st.anti[topologyPair{t.TopologyKey, v}]++
					}
				}
			}
		}
	}
	if len(st.existingAnti) == 0 && len(pod.RequiredAffinity) == 0 && len(pod.RequiredAntiAffinity) == 0 {
		return algorithm.ErrSkip
	}
	state.Write(NameMatchInterPodAffinity, st)
	return nil
}

// matchesAll reports whether every term selects pod; false without terms.
func matchesAll(terms []nodeinfo.AffinityTerm, pod *nodeinfo.PodInfo, nsLabels nodeinfo.NamespaceLabels) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].Matches(pod.Pod, nsLabels) {
			return false
		}
	}
	return true
}

// Filter implements algorithm.Predicate.
func (p *InterPodAffinity) Filter(state *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	st, err := algorithm.Read[*interPodAffinityState](state, NameMatchInterPodAffinity)
	if err != nil {
		return internalError(err)
	}
	nodeLabels := ni.Node().GetMetadata().GetLabels()
	var reasons []algorithm.Reason
	if len(st.existingAnti) > 0 {
		for k, v := range nodeLabels {
			if st.existingAnti[topologyPair{k, v}] > 0 {
				reasons = append(reasons, algorithm.NewReason("an existing pod's anti-affinity rules forbid the pod here"))
				break
			}
		}
	}
	if !p.satisfiesAffinity(st, pod, nodeLabels) {
		reasons = append(reasons, algorithm.NewReason("pod affinity rules not satisfied"))
	}
	for _, t := range pod.RequiredAntiAffinity {
		if v, ok := nodeLabels[t.TopologyKey]; ok && st.anti[topologyPair{t.TopologyKey, v}] > 0 {
			reasons = append(reasons, algorithm.NewReason("pod anti-affinity rules not satisfied"))
			break
		}
	}
	return reasons
}

// satisfiesAffinity reports whether the node lies in a domain holding pods that match the pod's
// required affinity terms. When no pod anywhere matches them and the pod matches them itself, it
// may go anywhere that has the topology labels: otherwise the first pod of a group that wants to
// be together could never be placed.
func (p *InterPodAffinity) satisfiesAffinity(st *interPodAffinityState, pod *nodeinfo.PodInfo, nodeLabels map[string]string) bool {
	if len(pod.RequiredAffinity) == 0 {
		return true
	}
	found := true
	for _, t := range pod.RequiredAffinity {
		v, ok := nodeLabels[t.TopologyKey]
		if !ok {
			return false
		}
		if st.affinity[topologyPair{t.TopologyKey, v}] <= 0 {
			found = false
		}
	}
	if found {
		return true
	}
	return len(st.affinity) == 0 && matchesAll(pod.RequiredAffinity, pod, p.nsLabels)
}
