package nodeinfo

import (
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Snapshot is the state of every node one scheduling cycle works on. Its NodeInfos are clones
// that the cache replaces, never changes, while a cycle may read them, so a Snapshot is safe to
// read from many goroutines at once. The cache's UpdateSnapshot refreshes it between cycles.
type Snapshot struct {
	// NodeInfoMap maps node names to their NodeInfo, including NodeInfos whose node is gone but
	// whose pods are not yet.
	NodeInfoMap map[string]*NodeInfo
	// NodeInfoList holds the NodeInfos that have a node, in the order filtering visits them.
	NodeInfoList []*NodeInfo
	// HavePodsWithAffinityList and HavePodsWithRequiredAntiAffinityList are the NodeInfos of
	// NodeInfoList with such pods.
	HavePodsWithAffinityList             []*NodeInfo
	HavePodsWithRequiredAntiAffinityList []*NodeInfo
	// ImageNodes counts, for each normalized image name, the nodes that hold it.
	ImageNodes map[string]int
	// Generation is the largest NodeInfo generation the snapshot reflects.
	Generation int64
}

// NewEmptySnapshot returns a snapshot of no nodes, ready for the cache to fill.
func NewEmptySnapshot() *Snapshot {
	return &Snapshot{NodeInfoMap: map[string]*NodeInfo{}, ImageNodes: map[string]int{}}
}

// NewSnapshot builds a snapshot of nodes with pods on them, for tests and tools; pods whose
// spec.nodeName names no node in nodes are left out. It fails when a pod does not parse.
func NewSnapshot(nodes []*corev1.Node, pods []*corev1.Pod) (*Snapshot, error) {
	s := NewEmptySnapshot()
	for _, n := range nodes {
		ni := New()
		ni.SetNode(n)
		s.NodeInfoMap[ni.Name()] = ni
		s.NodeInfoList = append(s.NodeInfoList, ni)
		for img := range ni.Images {
			s.ImageNodes[img]++
		}
	}
	for _, p := range pods {
		ni, ok := s.NodeInfoMap[p.GetSpec().GetNodeName()]
		if !ok {
			continue
		}
		pi, err := NewPodInfo(p)
		if err != nil {
			return nil, err
		}
		ni.AddPod(pi)
	}
	s.RebuildLists()
	return s, nil
}

// RebuildLists recomputes the affinity lists from NodeInfoList.
func (s *Snapshot) RebuildLists() {
	s.HavePodsWithAffinityList = s.HavePodsWithAffinityList[:0]
	s.HavePodsWithRequiredAntiAffinityList = s.HavePodsWithRequiredAntiAffinityList[:0]
	for _, ni := range s.NodeInfoList {
		if len(ni.PodsWithAffinity) > 0 {
			s.HavePodsWithAffinityList = append(s.HavePodsWithAffinityList, ni)
		}
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			s.HavePodsWithRequiredAntiAffinityList = append(s.HavePodsWithRequiredAntiAffinityList, ni)
		}
	}
}

// Get returns the NodeInfo of the named node.
func (s *Snapshot) Get(name string) (*NodeInfo, bool) {
	ni, ok := s.NodeInfoMap[name]
	return ni, ok && ni.Node() != nil
}

// NumNodes returns the number of nodes.
func (s *Snapshot) NumNodes() int { return len(s.NodeInfoList) }
