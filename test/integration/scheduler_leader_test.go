package integration

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/leaderelection"
	"github.com/keelson-dev/keelson/scheduler/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestSchedulerFailover runs two leader-elected schedulers, each reaching the apiserver through its
// own proxy. Cutting the leader's proxy makes it look crashed: the standby must schedule the pods
// created meanwhile within the lease duration plus the retry period, the old leader must stop
// with ErrLeadershipLost (a real process exits non-zero), and no pod may ever be bound twice.
func TestSchedulerFailover(t *testing.T) {
	const (
		leaseDuration = 2 * time.Second
		renewDeadline = 1500 * time.Millisecond
		retryPeriod   = 250 * time.Millisecond
		ns            = "default"
	)
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	for i := 0; i < 5; i++ {
		createNodes(t, c, fakeNode(fmt.Sprintf("node-%d", i), "8", "16Gi"))
	}

	// Record every binding any pod ever gets, from the start.
	w, err := c.Pods(ns).Watch(ctx, client.ListOptions{})
	require.NoError(t, err)
	var mu sync.Mutex
	boundTo := map[string]map[string]bool{}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ev := range w.Events() {
			if n := ev.Object.GetSpec().GetNodeName(); n != "" {
				mu.Lock()
				name := ev.Object.GetMetadata().GetName()
				if boundTo[name] == nil {
					boundTo[name] = map[string]bool{}
				}
				boundTo[name][n] = true
				mu.Unlock()
			}
		}
	}()
	defer func() {
		w.Stop()
		<-watched
	}()

	elect := func(cfg *server.Config) {
		cfg.LeaderElect = true
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = leaseDuration, renewDeadline, retryPeriod
	}
	links := []*framework.Proxy{framework.NewProxy(t, cl.Endpoint(0)), framework.NewProxy(t, cl.Endpoint(0))}
	scheds := []*framework.Scheduler{
		framework.StartScheduler(t, []string{links[0].Addr()}, elect),
		framework.StartScheduler(t, []string{links[1].Addr()}, elect),
	}
	leader := -1
	framework.Eventually(t, 10*time.Second, func() bool {
		for i, s := range scheds {
			if s.Metric(t, "scheduler_leader") == 1 {
				leader = i
				return true
			}
		}
		return false
	}, "one scheduler leads")
	standby := 1 - leader
	lease, err := c.Leases("kube-system").Get(ctx, "keelson-scheduler")
	require.NoError(t, err)
	require.Equal(t, scheds[leader].Server.Identity(), lease.GetSpec().GetHolderIdentity())
	require.Zero(t, scheds[standby].Metric(t, "scheduler_leader"), "only one leads")

	for i := 0; i < 20; i++ {
		createPods(t, c, ns, pendingPod(fmt.Sprintf("before-%02d", i), "100m", "64Mi"))
	}
	for i := 0; i < 20; i++ {
		waitBound(t, c, ns, fmt.Sprintf("before-%02d", i), 10*time.Second)
	}
	require.Equal(t, float64(20), scheds[leader].Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`))
	require.Zero(t, scheds[standby].Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`), "the standby schedules nothing")

	// The leader "crashes": it can no longer reach the apiserver, and cannot give the lease up.
	killed := time.Now()
	links[leader].Cut()
	for i := 0; i < 20; i++ {
		createPods(t, c, ns, pendingPod(fmt.Sprintf("after-%02d", i), "100m", "64Mi"))
	}
	for i := 0; i < 20; i++ {
		waitBound(t, c, ns, fmt.Sprintf("after-%02d", i), leaseDuration+retryPeriod+5*time.Second)
	}
	took := time.Since(killed)
	t.Logf("the standby scheduled every pending pod %s after the leader died (lease %s, retry %s)", took, leaseDuration, retryPeriod)
	// One retry period for the standby to notice the lease is stale, a little for 20 bindings, and
	// room for a loaded test machine; a standby that waited out a second lease still fails.
	require.Less(t, took, leaseDuration+retryPeriod+retryPeriod+time.Second)
	require.Equal(t, float64(1), scheds[standby].Metric(t, "scheduler_leader"))

	err = scheds[leader].Wait(10 * time.Second)
	require.True(t, errors.Is(err, leaderelection.ErrLeadershipLost), "the old leader stops with ErrLeadershipLost, got %v", err)

	lease, err = c.Leases("kube-system").Get(ctx, "keelson-scheduler")
	require.NoError(t, err)
	require.Equal(t, scheds[standby].Server.Identity(), lease.GetSpec().GetHolderIdentity())
	require.GreaterOrEqual(t, lease.GetSpec().GetLeaseTransitions(), int32(1))

	framework.Eventually(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(boundTo) == 40
	}, "the watch saw all 40 bindings")
	mu.Lock()
	for pod, nodes := range boundTo {
		require.Len(t, nodes, 1, "pod %s bound to %v", pod, nodes)
	}
	mu.Unlock()
	nodes := podNodes(t, c, ns)
	require.Len(t, nodes, 40)
	for pod, node := range nodes {
		require.NotEmpty(t, node, "pod %s pending", pod)
	}
}

// TestSchedulerHandsOverOnShutdown stops the leader gracefully: it gives the lease up, so the
// standby leads at once rather than after the lease expires.
func TestSchedulerHandsOverOnShutdown(t *testing.T) {
	const ns = "default"
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	createNodes(t, c, fakeNode("node-0", "8", "16Gi"))
	elect := func(cfg *server.Config) {
		cfg.LeaderElect = true
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
	}
	a := framework.StartScheduler(t, cl.Endpoints(), elect)
	framework.Eventually(t, 10*time.Second, func() bool { return a.Metric(t, "scheduler_leader") == 1 }, "a leads")
	b := framework.StartScheduler(t, cl.Endpoints(), elect)
	require.NoError(t, a.Stop(), "a graceful stop returns nil")
	start := time.Now()
	framework.Eventually(t, 5*time.Second, func() bool { return b.Metric(t, "scheduler_leader") == 1 }, "b leads")
	t.Logf("b led %s after a stopped (lease duration 10s)", time.Since(start))
	createPods(t, c, ns, pendingPod("p", "100m", "64Mi"))
	require.Equal(t, "node-0", waitBound(t, c, ns, "p", 5*time.Second))
}
