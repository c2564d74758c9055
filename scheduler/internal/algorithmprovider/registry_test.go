package algorithmprovider_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/priorities"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
)

func names(alg *algorithmprovider.Algorithm) (preds []string, prios map[string]int64) {
	prios = map[string]int64{}
	for _, p := range alg.Predicates {
		preds = append(preds, p.Name())
	}
	for _, wp := range alg.Priorities {
		prios[wp.Priority.Name()] = wp.Weight
	}
	return preds, prios
}

func TestDefaultRegistry(t *testing.T) {
	r := algorithmprovider.NewDefaultRegistry()
	require.Equal(t, []string{algorithmprovider.ClusterAutoscalerProvider, algorithmprovider.DefaultProvider}, r.Providers())

	alg, err := r.Build(algorithmprovider.DefaultProvider, algorithmprovider.Args{})
	require.NoError(t, err)
	preds, prios := names(alg)
	// The seeds' five (PodFitsPorts by its current name), the node-condition checks, taints and
	// inter-pod affinity, in evaluation order.
	require.Equal(t, []string{
		predicates.NameCheckNodeCondition, predicates.NameCheckNodeUnschedulable, predicates.NameHostName,
		predicates.NamePodFitsHostPorts, predicates.NameMatchNodeSelector, predicates.NamePodFitsResources,
		predicates.NameNoDiskConflict, predicates.NamePodToleratesNodeTaints, predicates.NameMatchInterPodAffinity,
	}, preds)
	require.Equal(t, map[string]int64{
		priorities.NameLeastRequested: 1, priorities.NameBalancedResourceAllocation: 1, priorities.NameSelectorSpread: 1,
		priorities.NameNodeAffinity: 2, priorities.NameInterPodAffinity: 2, priorities.NameTaintToleration: 3,
		priorities.NameImageLocality: 1,
	}, prios)

	alg, err = r.Build(algorithmprovider.ClusterAutoscalerProvider, algorithmprovider.Args{})
	require.NoError(t, err)
	_, prios = names(alg)
	require.Contains(t, prios, priorities.NameMostRequested)
	require.NotContains(t, prios, priorities.NameLeastRequested)
}

func TestRegistryBuildsWhatAProviderNames(t *testing.T) {
	r := algorithmprovider.NewDefaultRegistry()
	// A provider that lists predicates out of order, one twice through its alias, gets them once
	// each in registration order.
	require.NoError(t, r.RegisterAlgorithmProvider("Seeds",
		[]string{predicates.NamePodFitsResources, "PodFitsPorts", predicates.NamePodFitsHostPorts, predicates.NameHostName},
		[]algorithmprovider.PriorityKey{{Name: priorities.NameLeastRequested, Weight: 1}, {Name: priorities.NameSelectorSpread, Weight: 5}}))
	alg, err := r.Build("Seeds", algorithmprovider.Args{})
	require.NoError(t, err)
	preds, prios := names(alg)
	require.Equal(t, []string{predicates.NameHostName, predicates.NamePodFitsHostPorts, predicates.NamePodFitsResources}, preds)
	require.Equal(t, map[string]int64{priorities.NameLeastRequested: 1, priorities.NameSelectorSpread: 5}, prios)
	require.Equal(t, "Seeds", alg.Provider)
}

func TestRegistryRejects(t *testing.T) {
	noop := func(algorithmprovider.Args) algorithm.Predicate { return predicates.HostName{} }
	r := algorithmprovider.NewRegistry()
	require.NoError(t, r.RegisterPredicate("A", noop))
	require.NoError(t, r.RegisterPriority("P", func(algorithmprovider.Args) algorithm.Priority { return priorities.LeastRequested{} }))
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{name: "duplicate predicate", err: r.RegisterPredicate("A", noop), want: []string{`predicate "A": already registered`}},
		{name: "empty predicate key", err: r.RegisterPredicate("", noop), want: []string{"key and factory are required"}},
		{name: "alias of nothing", err: r.RegisterPredicateAlias("B", "Z"), want: []string{`no predicate "Z"`}},
		{name: "alias over a predicate", err: r.RegisterPredicateAlias("A", "A"), want: []string{"already registered"}},
		{name: "duplicate priority", err: r.RegisterPriority("P", func(algorithmprovider.Args) algorithm.Priority { return nil }), want: []string{"already registered"}},
		{name: "provider with unknown keys and a bad weight", err: r.RegisterAlgorithmProvider("X", []string{"A", "Nope"},
			[]algorithmprovider.PriorityKey{{Name: "P", Weight: 0}, {Name: "Q", Weight: 1}}),
			want: []string{`register algorithm provider "X"`, `unknown predicate "Nope"`, `priority "P": weight 0 is not positive`, `unknown priority "Q"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			for _, part := range tt.want {
				require.ErrorContains(t, tt.err, part)
			}
		})
	}
	_, err := r.Build("X", algorithmprovider.Args{})
	require.ErrorContains(t, err, `unknown algorithm provider "X"`)
	require.NoError(t, r.RegisterAlgorithmProvider("Y", []string{"A"}, []algorithmprovider.PriorityKey{{Name: "P", Weight: 1}}))
	require.ErrorContains(t, r.RegisterAlgorithmProvider("Y", nil, nil), "already registered")
}
