package predicates

import (
	"fmt"
	"sort"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// Resources rules out nodes without room for the pod: for cpu, memory, ephemeral storage and
// every extended resource the pod requests, the node's allocatable amount must cover what its
// pods already request plus the pod's request; and the node must allow one more pod.
type Resources struct{}

// Name implements algorithm.Predicate.
func (Resources) Name() string { return NamePodFitsResources }

// Filter implements algorithm.Predicate.
func (Resources) Filter(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	if ni.AllocatableErr != nil {
		return []algorithm.Reason{{Summary: "node allocatable resources are invalid", Detail: ni.AllocatableErr.Error()}}
	}
	var reasons []algorithm.Reason
	alloc, used := ni.Allocatable, ni.Requested
	if int64(len(ni.Pods))+1 > alloc.Pods {
		reasons = append(reasons, algorithm.Reason{
			Summary: "too many pods",
			Detail:  fmt.Sprintf("too many pods (%d running, limit %d)", len(ni.Pods), alloc.Pods),
		})
	}
	req := pod.Requests
	check := func(name string, want, have, inUse int64) {
		if want == 0 || have >= inUse+want {
			return
		}
		reasons = append(reasons, algorithm.Reason{
			Summary: "insufficient " + name,
			Detail: fmt.Sprintf("insufficient %s (requested %s, free %s)", name,
				FormatQuantity(name, want), FormatQuantity(name, max(have-inUse, 0))),
		})
	}
	check(nodeinfo.ResourceCPU, req.MilliCPU, alloc.MilliCPU, used.MilliCPU)
	check(nodeinfo.ResourceMemory, req.Memory, alloc.Memory, used.Memory)
	check(nodeinfo.ResourceEphemeralStorage, req.EphemeralStorage, alloc.EphemeralStorage, used.EphemeralStorage)
	if len(req.Scalar) > 0 {
		names := make([]string, 0, len(req.Scalar))
		for name := range req.Scalar {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			check(name, req.Scalar[name], alloc.Scalar[name], used.Scalar[name])
		}
	}
	return reasons
}
