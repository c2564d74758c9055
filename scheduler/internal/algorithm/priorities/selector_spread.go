package priorities

import (
	"context"
	"math"

	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// The node labels that name a node's failure domains.
const (
	LabelZone   = "topology.kubernetes.io/zone"
	LabelRegion = "topology.kubernetes.io/region"
)

// zoneWeighting is how much the spread over zones counts against the spread over nodes, when
// nodes carry zone labels; kube-scheduler's value.
const zoneWeighting = 2.0 / 3.0

// SelectorSpread spreads the pods of one service, replication controller, replica set or stateful
// set: a node scores higher the fewer pods it runs that those objects' selectors select (among
// the objects that select the pod), and, when nodes carry zone labels, the fewer such pods its
// zone runs.
type SelectorSpread struct {
	listers algorithm.Listers
}

// NewSelectorSpread returns the priority, reading services and controllers through listers.
func NewSelectorSpread(listers algorithm.Listers) *SelectorSpread {
	return &SelectorSpread{listers: listers}
}

// Name implements algorithm.Priority.
func (*SelectorSpread) Name() string { return NameSelectorSpread }

// spreadState holds the selectors of the objects that select the pod, and how many of the pods
// they select each zone runs, over every node (not only those that passed filtering).
type spreadState struct {
	selectors  []labels.Selector
	zoneCounts map[string]int64
}

// PreScore implements algorithm.PreScore.
func (p *SelectorSpread) PreScore(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot, _ []*nodeinfo.NodeInfo) error {
	st := &spreadState{selectors: p.selectors(pod), zoneCounts: map[string]int64{}}
	if len(st.selectors) == 0 {
		return algorithm.ErrSkip
	}
	for _, ni := range snap.NodeInfoList {
		if z := zoneID(ni); z != "" {
			st.zoneCounts[z] += countPeers(st.selectors, pod, ni)
		}
	}
	state.Write(NameSelectorSpread, st)
	return nil
}

// selectors returns the selectors of the services and controllers in the pod's namespace that
// select it. A controller whose selector does not compile selects nothing.
func (p *SelectorSpread) selectors(pod *nodeinfo.PodInfo) []labels.Selector {
	ns := pod.Pod.GetMetadata().GetNamespace()
	own := labels.Set(pod.Pod.GetMetadata().GetLabels())
	var out []labels.Selector
	add := func(sel labels.Selector) {
		if !sel.Empty() && sel.Matches(own) {
			out = append(out, sel)
		}
	}
	if p.listers.Services != nil {
		for _, s := range p.listers.Services(ns) {
			if sel := s.GetSpec().GetSelector(); len(sel) > 0 {
				add(labels.SelectorFromSet(sel))
			}
		}
	}
	if p.listers.ReplicationControllers != nil {
		for _, rc := range p.listers.ReplicationControllers(ns) {
			if sel := rc.GetSpec().GetSelector(); len(sel) > 0 {
				add(labels.SelectorFromSet(sel))
			}
		}
	}
	if p.listers.ReplicaSets != nil {
		for _, rs := range p.listers.ReplicaSets(ns) {
			if sel, err := labels.FromLabelSelector(rs.GetSpec().GetSelector()); err == nil {
				add(sel)
			}
		}
	}
	if p.listers.StatefulSets != nil {
		for _, ss := range p.listers.StatefulSets(ns) {
			if sel, err := labels.FromLabelSelector(ss.GetSpec().GetSelector()); err == nil {
				add(sel)
			}
		}
	}
	return out
}

// Score implements algorithm.Priority: the number of the pod's peers on the node.
func (*SelectorSpread) Score(state *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	st, err := algorithm.Read[*spreadState](state, NameSelectorSpread)
	if err != nil || len(st.selectors) == 0 {
		return 0 // without PreScore's state every node is alike
	}
	return countPeers(st.selectors, pod, ni)
}

// countPeers counts the pods on the node, in the pod's namespace and not being deleted, that one
// of selectors selects.
func countPeers(selectors []labels.Selector, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	ns := pod.Pod.GetMetadata().GetNamespace()
	var count int64
	for _, other := range ni.Pods {
		m := other.Pod.GetMetadata()
		if m.GetNamespace() != ns || m.GetDeletionTimestamp() != nil {
			continue
		}
		set := labels.Set(m.GetLabels())
		for _, sel := range selectors {
			if sel.Matches(set) {
				count++
				break
			}
		}
	}
	return count
}

// Normalize implements algorithm.Normalizer: fewer peers score higher, by node and by zone.
func (*SelectorSpread) Normalize(state *algorithm.CycleState, _ *nodeinfo.PodInfo, nodes []*nodeinfo.NodeInfo, scores []int64) {
	var zoneCounts map[string]int64
	if st, err := algorithm.Read[*spreadState](state, NameSelectorSpread); err == nil {
		zoneCounts = st.zoneCounts
	}
	var maxNode, maxZone int64
	for i := range nodes {
		maxNode = max(maxNode, scores[i])
	}
	for _, c := range zoneCounts {
		maxZone = max(maxZone, c)
	}
	for i, ni := range nodes {
		score := float64(algorithm.MaxNodeScore)
		if maxNode > 0 {
			score = float64(algorithm.MaxNodeScore) * float64(maxNode-scores[i]) / float64(maxNode)
		}
		if z := zoneID(ni); z != "" && maxZone > 0 {
			zoneScore := float64(algorithm.MaxNodeScore) * float64(maxZone-zoneCounts[z]) / float64(maxZone)
			score = score*(1-zoneWeighting) + zoneWeighting*zoneScore
		}
		scores[i] = int64(math.Round(score))
	}
}

// zoneID names the node's zone within its region, "" when it has no zone label.
func zoneID(ni *nodeinfo.NodeInfo) string {
	l := ni.Node().GetMetadata().GetLabels()
	zone := l[LabelZone]
	if zone == "" {
		return ""
	}
	return l[LabelRegion] + ":\x00:" + zone
}
