package core_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/core"
)

func TestFitErrorMessage(t *testing.T) {
	cpu := algorithm.Reason{Summary: "insufficient cpu", Detail: "insufficient cpu (requested 2, free 1.5)"}
	mem := algorithm.Reason{Summary: "insufficient memory", Detail: "insufficient memory (requested 1Gi, free 512Mi)"}
	taint := algorithm.NewReason("taint dedicated=gpu:NoSchedule not tolerated")
	cordon := algorithm.NewReason("node is unschedulable")
	many := func(n int, r ...algorithm.Reason) map[string][]algorithm.Reason {
		out := map[string][]algorithm.Reason{}
		for i := 0; i < n; i++ {
			out[fmt.Sprintf("n%03d", i)] = r
		}
		return out
	}
	merge := func(ms ...map[string][]algorithm.Reason) map[string][]algorithm.Reason {
		out := map[string][]algorithm.Reason{}
		for i, m := range ms {
			for k, v := range m {
				out[fmt.Sprintf("%d-%s", i, k)] = v
			}
		}
		return out
	}
	tests := []struct {
		name string
		err  *core.FitError
		want string
	}{
		{name: "the issue's example", err: &core.FitError{NumAllNodes: 3, NodeReasons: map[string][]algorithm.Reason{
			"node-c": {cordon}, "node-a": {cpu}, "node-b": {taint}}},
			want: "0/3 nodes are available: node-a: insufficient cpu (requested 2, free 1.5); node-b: taint dedicated=gpu:NoSchedule not tolerated; node-c: node is unschedulable"},
		{name: "several reasons on one node", err: &core.FitError{NumAllNodes: 1, NodeReasons: map[string][]algorithm.Reason{"a": {cpu, mem}}},
			want: "0/1 nodes are available: a: insufficient cpu (requested 2, free 1.5), insufficient memory (requested 1Gi, free 512Mi)"},
		{name: "ten nodes are still listed", err: &core.FitError{NumAllNodes: 10, NodeReasons: many(10, cordon)},
			want: "0/10 nodes are available: n000: node is unschedulable; n001: node is unschedulable; n002: node is unschedulable; " +
				"n003: node is unschedulable; n004: node is unschedulable; n005: node is unschedulable; n006: node is unschedulable; " +
				"n007: node is unschedulable; n008: node is unschedulable; n009: node is unschedulable"},
		{name: "more are grouped, most common first", err: &core.FitError{NumAllNodes: 500,
			NodeReasons: merge(many(300, cpu), many(150, cordon), many(49, taint), many(1, cpu, mem))},
			want: "0/500 nodes are available: 301 nodes: insufficient cpu; 150 nodes: node is unschedulable; " +
				"49 nodes: taint dedicated=gpu:NoSchedule not tolerated; 1 node: insufficient memory"},
		{name: "a reason about the pod itself", err: &core.FitError{NumAllNodes: 7, PodReason: "the pod's node affinity names no node"},
			want: "0/7 nodes are available: the pod's node affinity names no node"},
		{name: "no nodes", err: &core.FitError{}, want: "0/0 nodes are available: no nodes are registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.err.Error())
		})
	}
}
