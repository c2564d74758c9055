package cache_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/cache"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

func assumed(t *testing.T, pod *corev1.Pod) *nodeinfo.PodInfo {
	t.Helper()
	return fixture.Info(t, pod)
}

// requested returns the cpu the snapshot says the node's pods request.
func requested(t *testing.T, c *cache.Cache, snap *nodeinfo.Snapshot, node string) int64 {
	t.Helper()
	c.UpdateSnapshot(snap)
	ni, ok := snap.Get(node)
	require.True(t, ok, "node %s in the snapshot", node)
	return ni.Requested.MilliCPU
}

func TestAssumeConfirmForget(t *testing.T) {
	c := cache.New(0, nil, zaptest.NewLogger(t))
	c.AddNode(fixture.Node("a").Capacity("4", "8Gi", 110).Obj())
	c.AddNode(fixture.Node("b").Capacity("4", "8Gi", 110).Obj())
	snap := nodeinfo.NewEmptySnapshot()

	p1 := fixture.Pod("p1").Req("1", "").Obj()
	require.NoError(t, c.AssumePod(assumed(t, p1), "a"))
	require.True(t, c.IsAssumed("default/p1"))
	require.Equal(t, int64(1000), requested(t, c, snap, "a"), "the next decision counts the assumed pod")
	require.Error(t, c.AssumePod(assumed(t, p1), "a"), "assuming twice")
	require.ErrorContains(t, c.AssumePod(assumed(t, fixture.Pod("x").Obj()), ""), "no node given")

	// The informer shows the pod bound: the assumption is confirmed, counted once.
	c.FinishBinding("default/p1")
	c.AddPod(fixture.Pod("p1").Req("1", "").Node("a").Obj())
	require.False(t, c.IsAssumed("default/p1"))
	require.Equal(t, int64(1000), requested(t, c, snap, "a"))
	c.ForgetPod("default/p1") // too late to forget a confirmed pod
	require.Equal(t, int64(1000), requested(t, c, snap, "a"))

	// A failed binding: the assumption is forgotten.
	p2 := fixture.Pod("p2").Req("2", "").Obj()
	require.NoError(t, c.AssumePod(assumed(t, p2), "b"))
	require.Equal(t, int64(2000), requested(t, c, snap, "b"))
	c.ForgetPod("default/p2")
	require.Equal(t, int64(0), requested(t, c, snap, "b"))
	require.Equal(t, 1, c.NumPods())

	// Bound elsewhere than assumed (another scheduler won): the pod moves.
	p3 := fixture.Pod("p3").Req("500m", "").Obj()
	require.NoError(t, c.AssumePod(assumed(t, p3), "a"))
	c.AddPod(fixture.Pod("p3").Req("500m", "").Node("b").Obj())
	require.Equal(t, int64(1000), requested(t, c, snap, "a"))
	require.Equal(t, int64(500), requested(t, c, snap, "b"))

	// Deleted while assumed.
	p4 := fixture.Pod("p4").Req("1", "").Obj()
	require.NoError(t, c.AssumePod(assumed(t, p4), "a"))
	c.RemovePod(p4)
	require.False(t, c.IsAssumed("default/p4"))
	require.Equal(t, int64(1000), requested(t, c, snap, "a"))

	// Updated in place.
	c.UpdatePod(fixture.Pod("p1").Req("3", "").Node("a").Obj())
	require.Equal(t, int64(3000), requested(t, c, snap, "a"))
}

func TestAssumedPodsExpire(t *testing.T) {
	clk := clock.NewFake(time.Unix(1000, 0))
	c := cache.New(30*time.Second, clk, zaptest.NewLogger(t))
	c.AddNode(fixture.Node("a").Capacity("4", "8Gi", 110).Obj())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))

	require.NoError(t, c.AssumePod(assumed(t, fixture.Pod("slow").Req("1", "").Obj()), "a"))
	require.NoError(t, c.AssumePod(assumed(t, fixture.Pod("binding").Req("1", "").Obj()), "a"))
	c.FinishBinding("default/slow")
	clk.Step(31 * time.Second)
	require.Eventually(t, func() bool { return !c.IsAssumed("default/slow") }, 5*time.Second, time.Millisecond,
		"a binding never confirmed expires")
	require.True(t, c.IsAssumed("default/binding"), "a binding still being written never expires")
}

func TestSnapshotIsIncremental(t *testing.T) {
	c := cache.New(0, nil, zaptest.NewLogger(t))
	for i := 0; i < 100; i++ {
		c.AddNode(fixture.Node(fmt.Sprintf("n%02d", i)).Capacity("4", "8Gi", 110).Obj())
	}
	snap := nodeinfo.NewEmptySnapshot()
	c.UpdateSnapshot(snap)
	require.Equal(t, 100, snap.NumNodes())
	before := map[string]*nodeinfo.NodeInfo{}
	gens := map[string]int64{}
	for name, ni := range snap.NodeInfoMap {
		before[name] = ni
		gens[name] = ni.Generation
	}

	c.AddPod(fixture.Pod("p").Req("1", "").Node("n42").Obj())
	c.UpdateSnapshot(snap)
	for name, ni := range snap.NodeInfoMap {
		require.Same(t, before[name], ni, "NodeInfos are updated in place, so lists stay valid")
		if name == "n42" {
			require.Greater(t, ni.Generation, gens[name])
			require.Len(t, ni.Pods, 1)
			continue
		}
		require.Equal(t, gens[name], ni.Generation, "node %s unchanged, not copied", name)
	}

	// Snapshot NodeInfos are copies: the cache changing does not change a snapshot not updated.
	c.AddPod(fixture.Pod("q").Req("1", "").Node("n42").Obj())
	require.Len(t, snap.NodeInfoMap["n42"].Pods, 1)
}

func TestSnapshotFollowsNodesAndAffinity(t *testing.T) {
	c := cache.New(0, nil, zaptest.NewLogger(t))
	snap := nodeinfo.NewEmptySnapshot()
	c.AddNode(fixture.Node("a").Image(10, "nginx").Obj())
	c.AddNode(fixture.Node("b").Image(10, "nginx").Obj())
	c.UpdateSnapshot(snap)
	require.Equal(t, []string{"a", "b"}, names(snap.NodeInfoList))
	require.Equal(t, map[string]int{"nginx:latest": 2}, snap.ImageNodes)

	// A pod with anti-affinity lands on b: b joins the affinity lists.
	c.AddPod(fixture.Pod("x").Node("b").PodAntiAffinity(fixture.PodAffinityTerm("app", "x", "zone")).Obj())
	c.UpdateSnapshot(snap)
	require.Equal(t, []string{"b"}, names(snap.HavePodsWithRequiredAntiAffinityList))

	// b goes away with its pod still on it: it leaves the snapshot; a is relabelled.
	c.RemoveNode("b")
	c.UpdateNode(fixture.Node("a").Label("disk", "ssd").Obj())
	c.UpdateSnapshot(snap)
	require.Equal(t, []string{"a"}, names(snap.NodeInfoList))
	require.Empty(t, snap.HavePodsWithRequiredAntiAffinityList)
	require.Empty(t, snap.ImageNodes, "a no longer reports images")
	require.Equal(t, "ssd", snap.NodeInfoList[0].Node().GetMetadata().GetLabels()["disk"])
	_, ok := snap.Get("b")
	require.False(t, ok)

	// b comes back: its pod is still accounted for.
	c.AddNode(fixture.Node("b").Obj())
	c.UpdateSnapshot(snap)
	require.Equal(t, []string{"a", "b"}, names(snap.NodeInfoList))
	ni, ok := snap.Get("b")
	require.True(t, ok)
	require.Len(t, ni.Pods, 1)
	require.Equal(t, []string{"b"}, names(snap.HavePodsWithRequiredAntiAffinityList))

	// The pod leaves, then the node: nothing remains.
	c.RemovePod(fixture.Pod("x").Node("b").Obj())
	c.RemoveNode("b")
	c.UpdateSnapshot(snap)
	require.Equal(t, []string{"a"}, names(snap.NodeInfoList))
	require.Equal(t, 1, c.NumNodes())
	require.Equal(t, 0, c.NumPods())
}

func names(list []*nodeinfo.NodeInfo) []string {
	out := []string{}
	for _, ni := range list {
		out = append(out, ni.Name())
	}
	return out
}
