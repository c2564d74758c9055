package algorithmprovider

import (
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/priorities"
)

// The built-in providers.
const (
	// DefaultProvider is the default: the seeds' predicates (PodFitsPorts, PodFitsResources,
	// NoDiskConflict, MatchNodeSelector, HostName) plus the node-condition, cordon, taint and
	// inter-pod affinity checks; and every priority, spreading load (least requested).
	DefaultProvider = "DefaultProvider"
	// ClusterAutoscalerProvider is DefaultProvider packing pods onto the fullest nodes (most
	// requested) instead, so that a cluster autoscaler can remove the emptied ones.
	ClusterAutoscalerProvider = "ClusterAutoscalerProvider"
)

// PodFitsPorts is the seeds' name of PodFitsHostPorts, kept as an alias.
const PodFitsPorts = "PodFitsPorts"

// NewDefaultRegistry returns a registry with every built-in predicate and priority and the
// built-in providers.
func NewDefaultRegistry() *Registry {
	r := NewRegistry()
	// Registration order is evaluation order: node-level checks first, as they are the cheapest
	// and rule out whole nodes for every pod; inter-pod affinity, the costliest, last.
	must(r.RegisterPredicate(predicates.NameCheckNodeCondition, func(Args) algorithm.Predicate { return predicates.NodeCondition{} }))
	must(r.RegisterPredicate(predicates.NameCheckNodeUnschedulable, func(Args) algorithm.Predicate { return predicates.NodeUnschedulable{} }))
	must(r.RegisterPredicate(predicates.NameHostName, func(Args) algorithm.Predicate { return predicates.HostName{} }))
	must(r.RegisterPredicate(predicates.NamePodFitsHostPorts, func(Args) algorithm.Predicate { return predicates.HostPorts{} }))
	must(r.RegisterPredicate(predicates.NameMatchNodeSelector, func(Args) algorithm.Predicate { return predicates.NodeSelector{} }))
	must(r.RegisterPredicate(predicates.NamePodFitsResources, func(Args) algorithm.Predicate { return predicates.Resources{} }))
	must(r.RegisterPredicate(predicates.NameNoDiskConflict, func(Args) algorithm.Predicate { return predicates.DiskConflict{} }))
	must(r.RegisterPredicate(predicates.NamePodToleratesNodeTaints, func(Args) algorithm.Predicate { return predicates.TaintToleration{} }))
	must(r.RegisterPredicate(predicates.NameMatchInterPodAffinity, func(a Args) algorithm.Predicate {
		return predicates.NewInterPodAffinity(a.Listers.NamespaceLabels)
	}))
	must(r.RegisterPredicateAlias(PodFitsPorts, predicates.NamePodFitsHostPorts))

	must(r.RegisterPriority(priorities.NameLeastRequested, func(Args) algorithm.Priority { return priorities.LeastRequested{} }))
	must(r.RegisterPriority(priorities.NameMostRequested, func(Args) algorithm.Priority { return priorities.MostRequested{} }))
	must(r.RegisterPriority(priorities.NameBalancedResourceAllocation, func(Args) algorithm.Priority { return priorities.BalancedAllocation{} }))
	must(r.RegisterPriority(priorities.NameSelectorSpread, func(a Args) algorithm.Priority { return priorities.NewSelectorSpread(a.Listers) }))
	must(r.RegisterPriority(priorities.NameNodeAffinity, func(Args) algorithm.Priority { return priorities.NodeAffinity{} }))
	must(r.RegisterPriority(priorities.NameInterPodAffinity, func(a Args) algorithm.Priority {
		return priorities.NewInterPodAffinity(a.Listers.NamespaceLabels)
	}))
	must(r.RegisterPriority(priorities.NameTaintToleration, func(Args) algorithm.Priority { return priorities.TaintToleration{} }))
	must(r.RegisterPriority(priorities.NameImageLocality, func(Args) algorithm.Priority { return priorities.ImageLocality{} }))

	preds := []string{
		PodFitsPorts, predicates.NamePodFitsResources, predicates.NameNoDiskConflict,
		predicates.NameMatchNodeSelector, predicates.NameHostName,
		predicates.NameCheckNodeCondition, predicates.NameCheckNodeUnschedulable,
		predicates.NamePodToleratesNodeTaints, predicates.NameMatchInterPodAffinity,
	}
	common := []PriorityKey{
		{Name: priorities.NameBalancedResourceAllocation, Weight: 1},
		{Name: priorities.NameSelectorSpread, Weight: 1},
		{Name: priorities.NameNodeAffinity, Weight: 2},
		{Name: priorities.NameInterPodAffinity, Weight: 2},
		{Name: priorities.NameTaintToleration, Weight: 3},
		{Name: priorities.NameImageLocality, Weight: 1},
	}
	must(r.RegisterAlgorithmProvider(DefaultProvider, preds,
		append([]PriorityKey{{Name: priorities.NameLeastRequested, Weight: 1}}, common...)))
	must(r.RegisterAlgorithmProvider(ClusterAutoscalerProvider, preds,
		append([]PriorityKey{{Name: priorities.NameMostRequested, Weight: 1}}, common...)))
	return r
}

// must panics on a registration error, which in the built-in set only a programming error can
// cause (and TestDefaultRegistry would catch).
func must(err error) {
	if err != nil {
		panic(err)
	}
}
