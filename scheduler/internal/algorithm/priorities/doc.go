// Package priorities holds the scheduler's priorities, each in its own file: least (or most)
// requested resources, balanced resource allocation, spreading pods of one service or controller
// (selector spread), preferred node affinity, preferred inter-pod (anti-)affinity, taint
// toleration preference and image locality. Every priority ends with scores in
// [0, algorithm.MaxNodeScore].
//
// The Name* constants are the keys the priorities are registered under in algorithm providers.
package priorities

// The priorities' names.
const (
	NameLeastRequested             = "LeastRequestedPriority"
	NameMostRequested              = "MostRequestedPriority"
	NameBalancedResourceAllocation = "BalancedResourceAllocation"
	NameSelectorSpread             = "SelectorSpreadPriority"
	NameNodeAffinity               = "NodeAffinityPriority"
	NameInterPodAffinity           = "InterPodAffinityPriority"
	NameTaintToleration            = "TaintTolerationPriority"
	NameImageLocality              = "ImageLocalityPriority"
)
