package priorities_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

// score runs prio for pod over every node of a cluster of nodes and placed pods, as the
// scheduler does (PreScore, Score per node, Normalize), and returns each node's final score; nil
// when PreScore said ErrSkip (every node scores alike).
func score(t *testing.T, prio algorithm.Priority, pod *corev1.Pod, nodes []*corev1.Node, placed ...*corev1.Pod) map[string]int64 {
	t.Helper()
	snap, pi := fixture.Snapshot(t, nodes, placed), fixture.Info(t, pod)
	state := algorithm.NewCycleState()
	if ps, ok := prio.(algorithm.PreScore); ok {
		err := ps.PreScore(context.Background(), state, pi, snap, snap.NodeInfoList)
		if errors.Is(err, algorithm.ErrSkip) {
			return nil
		}
		require.NoError(t, err)
	}
	scores := make([]int64, len(snap.NodeInfoList))
	for i, ni := range snap.NodeInfoList {
		scores[i] = prio.Score(state, pi, ni)
	}
	if nz, ok := prio.(algorithm.Normalizer); ok {
		nz.Normalize(state, pi, snap.NodeInfoList, scores)
	}
	out := map[string]int64{}
	for i, ni := range snap.NodeInfoList {
		require.GreaterOrEqual(t, scores[i], int64(0), ni.Name())
		require.LessOrEqual(t, scores[i], algorithm.MaxNodeScore, ni.Name())
		out[ni.Name()] = scores[i]
	}
	return out
}
