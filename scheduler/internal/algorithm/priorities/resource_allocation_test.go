package priorities_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/priorities"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestResourceAllocation(t *testing.T) {
	nodes := []*corev1.Node{
		fixture.Node("empty").Capacity("4", "4Gi", 110).Obj(),
		fixture.Node("half").Capacity("4", "4Gi", 110).Obj(),
		fixture.Node("cpu-heavy").Capacity("4", "4Gi", 110).Obj(),
		fixture.Node("full").Capacity("4", "4Gi", 110).Obj(),
	}
	placed := []*corev1.Pod{
		fixture.Pod("h").Req("2", "2Gi").Node("half").Obj(),
		fixture.Pod("c").Req("3", "1Gi").Node("cpu-heavy").Obj(),
		fixture.Pod("f").Req("4", "4Gi").Node("full").Obj(),
	}
	pod := fixture.Pod("p").Req("1", "1Gi").Obj()
	tests := []struct {
		prio algorithm.Priority
		want map[string]int64
	}{
		// free fraction of (cpu, memory) after the pod, averaged
		{prio: priorities.LeastRequested{}, want: map[string]int64{"empty": 75, "half": 25, "cpu-heavy": 25, "full": 0}},
		// used fraction, averaged; an overfull node scores 0
		{prio: priorities.MostRequested{}, want: map[string]int64{"empty": 25, "half": 75, "cpu-heavy": 75, "full": 0}},
		// 100 × (1 − |cpu − memory|); a full resource scores 0
		{prio: priorities.BalancedAllocation{}, want: map[string]int64{"empty": 100, "half": 100, "cpu-heavy": 0, "full": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.prio.Name(), func(t *testing.T) {
			require.Equal(t, tt.want, score(t, tt.prio, pod, nodes, placed...))
		})
	}
}

func TestLeastRequestedCountsDefaultsForPodsWithoutRequests(t *testing.T) {
	nodes := []*corev1.Node{
		fixture.Node("busy").Capacity("1", "1Gi", 110).Obj(),
		fixture.Node("idle").Capacity("1", "1Gi", 110).Obj(),
	}
	placed := []*corev1.Pod{fixture.Pod("q").Node("busy").Obj(), fixture.Pod("r").Node("busy").Obj()}
	got := score(t, priorities.LeastRequested{}, fixture.Pod("p").Obj(), nodes, placed...)
	require.Greater(t, got["idle"], got["busy"], "pods without requests still spread: %v", got)
}
