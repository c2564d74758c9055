package priorities

import (
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// LeastRequested favours nodes with the most room left once the pod is on them: for cpu and
// memory, the free fraction of allocatable, averaged and scaled to [0, 100]. Requests count with
// defaults for containers that state none, so that such pods still spread.
type LeastRequested struct{}

// Name implements algorithm.Priority.
func (LeastRequested) Name() string { return NameLeastRequested }

// Score implements algorithm.Priority.
func (LeastRequested) Score(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	return averageOfCPUAndMemory(pod, ni, leastRequested)
}

func leastRequested(requested, capacity int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * algorithm.MaxNodeScore / capacity
}

// MostRequested favours the fullest nodes, packing pods so that empty nodes can be removed: the
// used fraction of cpu and memory once the pod is on the node, averaged and scaled to [0, 100].
type MostRequested struct{}

// Name implements algorithm.Priority.
func (MostRequested) Name() string { return NameMostRequested }

// Score implements algorithm.Priority.
func (MostRequested) Score(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	return averageOfCPUAndMemory(pod, ni, mostRequested)
}

func mostRequested(requested, capacity int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return requested * algorithm.MaxNodeScore / capacity
}

// BalancedAllocation favours nodes whose cpu and memory would be used in equal proportion once
// the pod is on them: 100 × (1 − |cpu fraction − memory fraction|), and 0 when either is full.
type BalancedAllocation struct{}

// Name implements algorithm.Priority.
func (BalancedAllocation) Name() string { return NameBalancedResourceAllocation }

// Score implements algorithm.Priority.
func (BalancedAllocation) Score(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) int64 {
	cpu, mem := requestedWithPod(pod, ni)
	if ni.Allocatable.MilliCPU <= 0 || ni.Allocatable.Memory <= 0 {
		return 0
	}
	cpuFraction := float64(cpu) / float64(ni.Allocatable.MilliCPU)
	memFraction := float64(mem) / float64(ni.Allocatable.Memory)
	if cpuFraction >= 1 || memFraction >= 1 {
		return 0
	}
	diff := cpuFraction - memFraction
	if diff < 0 {
		diff = -diff
	}
	return int64((1 - diff) * float64(algorithm.MaxNodeScore))
}

// averageOfCPUAndMemory averages score over cpu and memory, given what the node's pods and pod
// request and the node's allocatable amount.
func averageOfCPUAndMemory(pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo, score func(requested, capacity int64) int64) int64 {
	cpu, mem := requestedWithPod(pod, ni)
	return (score(cpu, ni.Allocatable.MilliCPU) + score(mem, ni.Allocatable.Memory)) / 2
}

// requestedWithPod returns the cpu and memory the node's pods and pod request, for scoring.
func requestedWithPod(pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) (cpu, mem int64) {
	return ni.NonZeroRequested.MilliCPU + pod.NonZero.MilliCPU, ni.NonZeroRequested.Memory + pod.NonZero.Memory
}
