package predicates_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

// filter runs pred (its PreFilter first, if it has one) for pod on every node of a cluster of
// nodes and placed pods, and returns each node's reasons joined by ", ", "" when it fits. A
// PreFilter's UnschedulableError comes back under the key "*"; a PreFilter's ErrSkip means every
// node fits, as the scheduler takes it.
func filter(t *testing.T, pred algorithm.Predicate, pod *corev1.Pod, nodes []*corev1.Node, placed ...*corev1.Pod) map[string]string {
	t.Helper()
	snap, pi := fixture.Snapshot(t, nodes, placed), fixture.Info(t, pod)
	state := algorithm.NewCycleState()
	if pf, ok := pred.(algorithm.PreFilter); ok {
		err := pf.PreFilter(context.Background(), state, pi, snap)
		if errors.Is(err, algorithm.ErrSkip) {
			out := map[string]string{}
			for _, ni := range snap.NodeInfoList {
				out[ni.Name()] = ""
			}
			return out
		}
		if err != nil {
			var ue *algorithm.UnschedulableError
			require.ErrorAs(t, err, &ue)
			return map[string]string{"*": ue.Reason}
		}
	}
	out := map[string]string{}
	for _, ni := range snap.NodeInfoList {
		var parts []string
		for _, r := range pred.Filter(state, pi, ni) {
			parts = append(parts, r.String())
		}
		out[ni.Name()] = strings.Join(parts, ", ")
	}
	return out
}

// filterOne runs pred for pod on one node with placed pods on it.
func filterOne(t *testing.T, pred algorithm.Predicate, pod *corev1.Pod, node *corev1.Node, placed ...*corev1.Pod) string {
	t.Helper()
	for _, p := range placed {
		p.Spec.NodeName = node.GetMetadata().GetName()
	}
	out := filter(t, pred, pod, []*corev1.Node{node}, placed...)
	if r, ok := out["*"]; ok {
		return "pod: " + r
	}
	return out[node.GetMetadata().GetName()]
}
