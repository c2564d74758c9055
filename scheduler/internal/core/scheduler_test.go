package core_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/internal/core"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// cluster returns n identical nodes named node-0000 ..., with cordoned nodes where cordon says.
func cluster(n int, cordon func(i int) bool) []*corev1.Node {
	nodes := make([]*corev1.Node, n)
	for i := range nodes {
		b := fixture.Node(fmt.Sprintf("node-%04d", i)).Capacity("32", "128Gi", 110)
		if cordon != nil && cordon(i) {
			b.Unschedulable()
		}
		nodes[i] = b.Obj()
	}
	return nodes
}

func newScheduler(tb testing.TB, provider string, pct int32, seed uint64) *core.Scheduler {
	tb.Helper()
	alg, err := algorithmprovider.NewDefaultRegistry().Build(provider, algorithmprovider.Args{})
	require.NoError(tb, err)
	return core.New(core.Config{
		Predicates: alg.Predicates, Priorities: alg.Priorities, PercentageOfNodesToScore: pct,
		Parallelism: 2, Rand: rand.New(rand.NewPCG(seed, 0)),
	})
}

func TestAdaptivePercentageOfNodesToScore(t *testing.T) {
	tests := []struct {
		nodes       int
		percentage  int32
		wantVisited int // feasible nodes found before filtering stops
	}{
		{nodes: 50, wantVisited: 50},                      // small clusters: every node
		{nodes: 99, wantVisited: 99},                      // still below the 100-node floor
		{nodes: 200, wantVisited: 100},                    // 48% of 200 = 96 < 100: the floor
		{nodes: 500, wantVisited: 230},                    // 50 - 500/125 = 46%
		{nodes: 5000, wantVisited: 500},                   // 50 - 40 = 10%
		{nodes: 6000, wantVisited: 300},                   // 50 - 48 = 2% -> at least 5%
		{nodes: 5000, percentage: 100, wantVisited: 5000}, // configured: every node
		{nodes: 5000, percentage: 1, wantVisited: 100},    // configured below the floor
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d nodes at %d%%", tt.nodes, tt.percentage), func(t *testing.T) {
			snap, err := nodeinfo.NewSnapshot(cluster(tt.nodes, nil), nil)
			require.NoError(t, err)
			s := newScheduler(t, algorithmprovider.DefaultProvider, tt.percentage, 1)
			res, err := s.Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Req("100m", "128Mi").Obj()), snap)
			require.NoError(t, err)
			require.Equal(t, tt.wantVisited, res.FeasibleNodes)
			require.Equal(t, tt.wantVisited, res.EvaluatedNodes, "every node visited was feasible")
		})
	}
}

func TestFilteringResumesWhereItStopped(t *testing.T) {
	snap, err := nodeinfo.NewSnapshot(cluster(1000, nil), nil)
	require.NoError(t, err)
	// 50 - 1000/125 = 42%: each pass keeps the first 420 feasible nodes it finds; the next starts
	// after them. One worker visits nodes in order, in chunks of 16, so a pass may look at up to
	// 15 nodes beyond the 420th (several workers visit chunks concurrently, so which nodes they
	// saw is less predictable, though what they keep is the same).
	rec := &visits{seen: map[string]bool{}}
	s := core.New(core.Config{Predicates: []algorithm.Predicate{rec}, Parallelism: 1})
	pod := fixture.Info(t, fixture.Pod("p").Obj())
	wantRange := func(from, n int) map[string]bool {
		out := map[string]bool{}
		for i := 0; i < n; i++ {
			out[fmt.Sprintf("node-%04d", (from+i)%1000)] = true
		}
		return out
	}
	for pass, start := range []int{0, 420, 840, 260} {
		rec.seen = map[string]bool{}
		res, err := s.Schedule(context.Background(), pod, snap)
		require.NoError(t, err)
		require.Equal(t, 420, res.EvaluatedNodes)
		require.Equal(t, wantRange(start, 432), rec.seen, "pass %d: 27 chunks of 16", pass)
	}
}

// visits passes every node and records which it saw.
type visits struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (*visits) Name() string { return "Visits" }
func (v *visits) Filter(_ *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen[ni.Name()] = true
	return nil
}

func TestUnschedulableVisitsEveryNode(t *testing.T) {
	// Every node but one in a thousand is cordoned; the fitting ones are found wherever they are.
	snap, err := nodeinfo.NewSnapshot(cluster(5000, func(i int) bool { return i%1000 != 999 }), nil)
	require.NoError(t, err)
	s := newScheduler(t, algorithmprovider.DefaultProvider, 0, 1)
	res, err := s.Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Obj()), snap)
	require.NoError(t, err)
	require.Equal(t, 5000, res.EvaluatedNodes)
	require.Equal(t, 5, res.FeasibleNodes)
	require.Contains(t, []string{"node-0999", "node-1999", "node-2999", "node-3999", "node-4999"}, res.Node)

	snap, err = nodeinfo.NewSnapshot(cluster(5000, func(int) bool { return true }), nil)
	require.NoError(t, err)
	_, err = s.Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Obj()), snap)
	var fe *core.FitError
	require.ErrorAs(t, err, &fe)
	require.Len(t, fe.NodeReasons, 5000)
	require.Equal(t, "0/5000 nodes are available: 5000 nodes: node is unschedulable", fe.Error())
}

func TestTiesAreBrokenAtRandom(t *testing.T) {
	snap, err := nodeinfo.NewSnapshot(cluster(4, nil), nil)
	require.NoError(t, err)
	s := newScheduler(t, algorithmprovider.DefaultProvider, 0, 42)
	pod := fixture.Info(t, fixture.Pod("p").Req("100m", "128Mi").Obj())
	counts := map[string]int{}
	for i := 0; i < 400; i++ {
		res, err := s.Schedule(context.Background(), pod, snap)
		require.NoError(t, err)
		counts[res.Node]++
	}
	require.Len(t, counts, 4)
	for node, c := range counts {
		require.InDelta(t, 100, c, 40, "node %s chosen %d times of 400", node, c)
	}
}

func TestHighestTotalWins(t *testing.T) {
	nodes := cluster(3, nil)
	placed := []*corev1.Pod{
		fixture.Pod("a").Req("16", "64Gi").Node("node-0000").Obj(),
		fixture.Pod("b").Req("8", "32Gi").Node("node-0001").Obj(),
	}
	snap, err := nodeinfo.NewSnapshot(nodes, placed)
	require.NoError(t, err)
	for seed := uint64(0); seed < 20; seed++ {
		res, err := newScheduler(t, algorithmprovider.DefaultProvider, 0, seed).
			Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Req("1", "1Gi").Obj()), snap)
		require.NoError(t, err)
		require.Equal(t, "node-0002", res.Node, "least requested picks the empty node whatever the seed")
	}
	for seed := uint64(0); seed < 20; seed++ {
		res, err := newScheduler(t, algorithmprovider.ClusterAutoscalerProvider, 0, seed).
			Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Req("1", "1Gi").Obj()), snap)
		require.NoError(t, err)
		require.Equal(t, "node-0000", res.Node, "most requested packs onto the fullest node")
	}
}

// badPriority scores outside [0, MaxNodeScore].
type badPriority struct{}

func (badPriority) Name() string { return "Bad" }
func (badPriority) Score(*algorithm.CycleState, *nodeinfo.PodInfo, *nodeinfo.NodeInfo) int64 {
	return 1000
}

func TestScoreOutOfRangeIsAnError(t *testing.T) {
	snap, err := nodeinfo.NewSnapshot(cluster(2, nil), nil)
	require.NoError(t, err)
	s := core.New(core.Config{Priorities: []algorithm.WeightedPriority{{Priority: badPriority{}, Weight: 1}}})
	_, err = s.Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Obj()), snap)
	require.ErrorContains(t, err, "priority Bad scored node node-0000 1000, outside [0, 100]")
}

func TestScheduleHonoursCancellation(t *testing.T) {
	snap, err := nodeinfo.NewSnapshot(cluster(5000, func(int) bool { return true }), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = newScheduler(t, algorithmprovider.DefaultProvider, 0, 1).Schedule(ctx, fixture.Info(t, fixture.Pod("p").Obj()), snap)
	require.ErrorIs(t, err, context.Canceled)
}

func TestNoNodes(t *testing.T) {
	snap, err := nodeinfo.NewSnapshot(nil, nil)
	require.NoError(t, err)
	_, err = newScheduler(t, algorithmprovider.DefaultProvider, 0, 1).Schedule(context.Background(), fixture.Info(t, fixture.Pod("p").Obj()), snap)
	require.EqualError(t, err, "0/0 nodes are available: no nodes are registered")
}
