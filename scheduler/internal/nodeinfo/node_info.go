package nodeinfo

import (
	"fmt"
	"maps"
	"slices"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// NodeInfo is a node and the pods assigned (or assumed) to it, with their totals kept current.
type NodeInfo struct {
	node *corev1.Node
	// Pods are the pods on the node; PodsWithAffinity the subset with inter-pod affinity rules and
	// PodsWithRequiredAntiAffinity the subset with required anti-affinity rules.
	Pods                         []*PodInfo
	PodsWithAffinity             []*PodInfo
	PodsWithRequiredAntiAffinity []*PodInfo
	// Requested sums the pods' requests; NonZeroRequested their requests for scoring.
	Requested        Resource
	NonZeroRequested Resource
	// Allocatable is the node's allocatable resources; AllocatableErr says why they did not parse.
	Allocatable    Resource
	AllocatableErr error
	// UsedPorts are the host ports the pods claim.
	UsedPorts HostPortSet
	// HostPaths counts the pods' uses of each hostPath directory.
	HostPaths map[string]HostPathCount
	// Images maps each normalized image name the node holds to its size in bytes.
	Images map[string]int64
	// ReadyStatus and ReadyReason are the node's Ready condition's ("" without one), and
	// NetworkUnavailable whether its NetworkUnavailable condition is True: read once from the
	// node, since every pod's filtering checks them on every node.
	ReadyStatus, ReadyReason string
	NetworkUnavailable       bool
	// Generation orders changes: the cache sets it to a larger value on every change.
	Generation int64
}

// HostPathCount counts the read-write and read-only uses of one hostPath directory.
type HostPathCount struct {
	ReadWrite, ReadOnly int
}

// New returns a NodeInfo holding pods and no node.
func New(pods ...*PodInfo) *NodeInfo {
	ni := &NodeInfo{UsedPorts: HostPortSet{}, HostPaths: map[string]HostPathCount{}}
	for _, p := range pods {
		ni.AddPod(p)
	}
	return ni
}

// Node returns the node, nil when the node is gone but pods still name it.
func (ni *NodeInfo) Node() *corev1.Node { return ni.node }

// Name returns the node's name, "" without a node.
func (ni *NodeInfo) Name() string { return ni.node.GetMetadata().GetName() }

// SetNode sets the node, parsing its allocatable resources and images.
func (ni *NodeInfo) SetNode(node *corev1.Node) {
	ni.node = node
	ni.Allocatable, ni.AllocatableErr = ParseResourceList(node.GetStatus().GetAllocatable())
	if ni.AllocatableErr != nil {
		ni.AllocatableErr = fmt.Errorf("node %s allocatable: %w", ni.Name(), ni.AllocatableErr)
	}
	ni.ReadyStatus, ni.ReadyReason, ni.NetworkUnavailable = "", "", false
	for _, c := range node.GetStatus().GetConditions() {
		switch c.GetType() {
		case "Ready":
			ni.ReadyStatus, ni.ReadyReason = c.GetStatus(), c.GetReason()
		case "NetworkUnavailable":
			ni.NetworkUnavailable = c.GetStatus() == "True"
		}
	}
	ni.Images = make(map[string]int64, len(node.GetStatus().GetImages()))
	for _, img := range node.GetStatus().GetImages() {
		for _, name := range img.GetNames() {
			ni.Images[NormalizeImage(name)] = img.GetSizeBytes()
		}
	}
}

// RemoveNode forgets the node and keeps its pods, which the cache drops as their deletions
// arrive.
func (ni *NodeInfo) RemoveNode() {
	ni.node = nil
	ni.Allocatable, ni.AllocatableErr = Resource{}, nil
	ni.Images = nil
	ni.ReadyStatus, ni.ReadyReason, ni.NetworkUnavailable = "", "", false
}

// AddPod accounts for pod on the node.
func (ni *NodeInfo) AddPod(pod *PodInfo) {
	ni.Pods = append(ni.Pods, pod)
	if pod.HasAffinity() {
		ni.PodsWithAffinity = append(ni.PodsWithAffinity, pod)
	}
	if pod.HasRequiredAntiAffinity() {
		ni.PodsWithRequiredAntiAffinity = append(ni.PodsWithRequiredAntiAffinity, pod)
	}
	ni.update(pod, 1)
}

// RemovePod stops accounting for the pod with key, and reports whether it was there.
func (ni *NodeInfo) RemovePod(key string) bool {
	i := slices.IndexFunc(ni.Pods, func(p *PodInfo) bool { return p.Key == key })
	if i < 0 {
		return false
	}
	pod := ni.Pods[i]
	ni.Pods = removeAt(ni.Pods, i)
	ni.PodsWithAffinity = removeKey(ni.PodsWithAffinity, key)
	ni.PodsWithRequiredAntiAffinity = removeKey(ni.PodsWithRequiredAntiAffinity, key)
	ni.update(pod, -1)
	return true
}

// update adds (sign 1) or subtracts (sign -1) pod's totals.
func (ni *NodeInfo) update(pod *PodInfo, sign int) {
	if ni.UsedPorts == nil {
		ni.UsedPorts = HostPortSet{}
	}
	if ni.HostPaths == nil {
		ni.HostPaths = map[string]HostPathCount{}
	}
	if sign > 0 {
		ni.Requested.Add(pod.Requests)
		ni.NonZeroRequested.Add(pod.NonZero)
	} else {
		ni.Requested.Sub(pod.Requests)
		ni.NonZeroRequested.Sub(pod.NonZero)
	}
	for _, p := range pod.HostPorts {
		if sign > 0 {
			ni.UsedPorts.Add(p)
		} else {
			ni.UsedPorts.Remove(p)
		}
	}
	for _, hp := range pod.HostPaths {
		c := ni.HostPaths[hp.Path]
		if hp.ReadOnly {
			c.ReadOnly += sign
		} else {
			c.ReadWrite += sign
		}
		if c.ReadOnly <= 0 && c.ReadWrite <= 0 {
			delete(ni.HostPaths, hp.Path)
		} else {
			ni.HostPaths[hp.Path] = c
		}
	}
}

// Clone returns a copy that shares the node and pod objects, which are read-only, and owns
// everything it would change.
func (ni *NodeInfo) Clone() *NodeInfo {
	return &NodeInfo{
		node:                         ni.node,
		Pods:                         slices.Clone(ni.Pods),
		PodsWithAffinity:             slices.Clone(ni.PodsWithAffinity),
		PodsWithRequiredAntiAffinity: slices.Clone(ni.PodsWithRequiredAntiAffinity),
		Requested:                    ni.Requested.Clone(),
		NonZeroRequested:             ni.NonZeroRequested.Clone(),
		Allocatable:                  ni.Allocatable.Clone(),
		AllocatableErr:               ni.AllocatableErr,
		UsedPorts:                    ni.UsedPorts.Clone(),
		HostPaths:                    maps.Clone(ni.HostPaths),
		Images:                       ni.Images, // replaced, never changed, by SetNode
		ReadyStatus:                  ni.ReadyStatus,
		ReadyReason:                  ni.ReadyReason,
		NetworkUnavailable:           ni.NetworkUnavailable,
		Generation:                   ni.Generation,
	}
}

func removeAt(pods []*PodInfo, i int) []*PodInfo {
	last := len(pods) - 1
	pods[i] = pods[last]
	pods[last] = nil
	return pods[:last]
}

func removeKey(pods []*PodInfo, key string) []*PodInfo {
	if i := slices.IndexFunc(pods, func(p *PodInfo) bool { return p.Key == key }); i >= 0 {
		return removeAt(pods, i)
	}
	return pods
}
