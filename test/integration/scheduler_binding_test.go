package integration

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/test/framework"
)

// fullNodes creates n nodes that each hold exactly perNode pods.
func fullNodes(t *testing.T, c *client.Client, n, perNode int) {
	t.Helper()
	for i := 0; i < n; i++ {
		node := fakeNode(fmt.Sprintf("node-%02d", i), "64", "256Gi")
		node.Status.Allocatable["pods"] = fmt.Sprint(perNode)
		createNodes(t, c, node)
	}
}

// createPodsConcurrently creates pods named <prefix>-<i> on 16 goroutines.
func createPodsConcurrently(t *testing.T, c *client.Client, ns, prefix string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				if _, err := c.Pods(ns).Create(testContext(t), pendingPod(fmt.Sprintf("%s-%04d", prefix, i), "10m", "16Mi")); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestBindingSurvivesALostConnection cuts the scheduler off the apiserver while it is writing
// bindings, until one has failed for good: the bindings in flight wait for the connection (the
// client retries them, the scheduler retries those whose retries ran out, and one that reached
// the server before the cut counts as done), the informers resume
// their watches, and every pod ends up bound. The nodes have room for exactly as many pods as
// are created, so an assumption counted twice or never confirmed would leave pods without room.
func TestBindingSurvivesALostConnection(t *testing.T) {
	const (
		ns           = "default"
		nodes, slots = 10, 100
		pods         = nodes * slots
	)
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	fullNodes(t, c, nodes, slots)
	lk := framework.NewProxy(t, cl.Endpoint(0))
	sched := framework.StartScheduler(t, []string{lk.Addr()}, nil)

	createPodsConcurrently(t, c, ns, "p", pods)
	framework.Eventually(t, 20*time.Second, func() bool {
		return sched.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`) >= 100
	}, "binding under way")
	// The partition lasts until a binding in flight has run out of the client's retries (about
	// 2.5 s of backoff) and failed, so the scheduler itself must retry it once the link is back;
	// unless every pod was bound before the cut, which leaves nothing to fail.
	failedBefore := sched.Metric(t, `scheduler_schedule_attempts_total{result="error"}`)
	lk.Cut()
	framework.Eventually(t, 30*time.Second, func() bool {
		m := sched.Metrics(t)
		return m[`scheduler_schedule_attempts_total{result="error"}`] > failedBefore ||
			m[`scheduler_schedule_attempts_total{result="scheduled"}`] == pods
	}, "a binding failed for the partition")
	lk.Resume(cl.Endpoint(0))

	framework.Eventually(t, 60*time.Second, func() bool {
		bound := 0
		for _, node := range podNodes(t, c, ns) {
			if node != "" {
				bound++
			}
		}
		return bound == pods
	}, "all %d pods bound", pods)
	perNode := map[string]int{}
	for _, node := range podNodes(t, c, ns) {
		perNode[node]++
	}
	for node, n := range perNode {
		require.Equal(t, slots, n, "node %s", node)
	}
	framework.Eventually(t, 10*time.Second, func() bool {
		return sched.Metric(t, `scheduler_cache_size{type="assumed_pods"}`) == 0 &&
			sched.Metric(t, `scheduler_cache_size{type="pods"}`) == pods
	}, "every assumption confirmed by the informer")
}

// TestTwoSchedulersNeverBindAPodTwice runs two schedulers without leader election over the same
// pods: they race for every pod, the binding subresource lets exactly one win, and the loser
// forgets its assumption, so both caches end up holding every pod once and nothing assumed. (Two
// uncoordinated schedulers may still overcommit a node between them, which is why Keelson elects
// one; the kubelet's admission is the backstop.)
func TestTwoSchedulersNeverBindAPodTwice(t *testing.T) {
	const (
		ns           = "default"
		nodes, slots = 10, 100
		pods         = 500
	)
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	fullNodes(t, c, nodes, slots)
	w, err := c.Pods(ns).Watch(testContext(t), client.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()
	a := framework.StartScheduler(t, cl.Endpoints(), nil)
	b := framework.StartScheduler(t, cl.Endpoints(), nil)

	createPodsConcurrently(t, c, ns, "p", pods)
	boundTo := map[string]string{}
	deadline := time.After(60 * time.Second)
	for len(boundTo) < pods {
		select {
		case ev, ok := <-w.Events():
			require.True(t, ok, "watch ended: %v", w.Err())
			name, node := ev.Object.GetMetadata().GetName(), ev.Object.GetSpec().GetNodeName()
			if node == "" {
				continue
			}
			if prev, seen := boundTo[name]; seen {
				require.Equal(t, prev, node, "pod %s bound twice", name)
			}
			boundTo[name] = node
		case <-deadline:
			t.Fatalf("only %d of %d pods bound", len(boundTo), pods)
		}
	}
	for _, s := range []*framework.Scheduler{a, b} {
		framework.Eventually(t, 10*time.Second, func() bool {
			return s.Metric(t, `scheduler_cache_size{type="assumed_pods"}`) == 0 && s.Metric(t, `scheduler_cache_size{type="pods"}`) == pods
		}, "the loser's assumptions forgotten, every pod counted once")
	}
	won := a.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`) + b.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`)
	require.Equal(t, float64(pods), won, "every pod was bound by exactly one scheduler")
	t.Logf("a bound %v, b bound %v; lost races: %v", a.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`),
		b.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`),
		a.Metric(t, `scheduler_schedule_attempts_total{result="error"}`)+b.Metric(t, `scheduler_schedule_attempts_total{result="error"}`))
}
