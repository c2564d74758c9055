package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/queue"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newQueue() (*queue.Queue, *clock.Fake) {
	clk := clock.NewFake(t0)
	return queue.New(queue.Config{Clock: clk}), clk
}

// pop pops without blocking: it fails the test when the active queue is empty.
func pop(t *testing.T, q *queue.Queue) (*queue.QueuedPodInfo, int64) {
	t.Helper()
	active, _, _ := q.Len()
	require.NotZero(t, active, "the active queue is empty")
	p, cycle, ok := q.Pop()
	require.True(t, ok)
	return p, cycle
}

func TestActiveOrderIsPriorityThenAge(t *testing.T) {
	q, _ := newQueue()
	q.Add(fixture.Pod("young-low").Created(t0.Add(3 * time.Second)).Obj())
	q.Add(fixture.Pod("old-low").Created(t0.Add(1 * time.Second)).Obj())
	q.Add(fixture.Pod("young-high").Priority(1000).Created(t0.Add(5 * time.Second)).Obj())
	q.Add(fixture.Pod("old-high").Priority(1000).Created(t0.Add(2 * time.Second)).Obj())
	q.Add(fixture.Pod("negative").Priority(-5).Created(t0).Obj())
	var got []string
	for i := 0; i < 5; i++ {
		p, _ := pop(t, q)
		got = append(got, p.Pod.GetMetadata().GetName())
		q.Done(p.Key)
	}
	require.Equal(t, []string{"old-high", "young-high", "old-low", "young-low", "negative"}, got)
}

func TestBackoffDoublesFromOneToTenSeconds(t *testing.T) {
	q, clk := newQueue()
	q.Add(fixture.Pod("p").Obj())
	var waits []time.Duration
	for attempt := 1; attempt <= 6; attempt++ {
		p, cycle := pop(t, q)
		require.Equal(t, attempt, p.Attempts)
		q.AddUnschedulable(p, cycle)
		q.Done(p.Key)
		failedAt := clk.Now()
		// Step a tenth of a second at a time until the flush returns the pod.
		for {
			q.FlushBackoffCompleted()
			if active, _, _ := q.Len(); active == 1 {
				break
			}
			clk.Step(100 * time.Millisecond)
		}
		waits = append(waits, clk.Since(failedAt))
	}
	require.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}, waits)
}

func TestClusterChangesReturnUnschedulablePodsAtOnce(t *testing.T) {
	q, _ := newQueue()
	q.Add(fixture.Pod("p").Obj())
	p, cycle := pop(t, q)
	q.AddUnschedulable(p, cycle)
	q.Done(p.Key)
	require.Equal(t, [3]int{0, 0, 1}, lens(q))

	q.MoveAllToActive() // a node was added: no waiting for the backoff
	require.Equal(t, [3]int{1, 0, 0}, lens(q))
}

func TestAChangeDuringTheAttemptIsNotMissed(t *testing.T) {
	q, _ := newQueue()
	q.Add(fixture.Pod("p").Obj())
	p, cycle := pop(t, q)
	q.MoveAllToActive() // a node arrives while the pod is being tried against the old snapshot
	q.AddUnschedulable(p, cycle)
	q.Done(p.Key)
	require.Equal(t, [3]int{1, 0, 0}, lens(q), "straight back to the active queue")
}

func TestAffinityPodsReturnWhenAMatchingPodIsPlaced(t *testing.T) {
	q, _ := newQueue()
	q.Add(fixture.Pod("web").PodAffinity(fixture.PodAffinityTerm("app", "cache", "zone")).Obj())
	q.Add(fixture.Pod("plain").Obj())
	for i := 0; i < 2; i++ {
		p, cycle := pop(t, q)
		q.AddUnschedulable(p, cycle)
		q.Done(p.Key)
	}
	q.MoveAffinityPodsToActive(fixture.Pod("db").Label("app", "db").Obj(), nil)
	require.Equal(t, [3]int{0, 0, 2}, lens(q))
	q.MoveAffinityPodsToActive(fixture.Pod("cache").Label("app", "cache").Obj(), nil)
	require.Equal(t, [3]int{1, 0, 1}, lens(q))
	p, _ := pop(t, q)
	require.Equal(t, "web", p.Pod.GetMetadata().GetName())
}

func TestUpdates(t *testing.T) {
	q, clk := newQueue()
	pod := fixture.Pod("p").Obj()
	q.Add(pod)
	p, cycle := pop(t, q)
	q.AddUnschedulable(p, cycle)
	q.Done(p.Key)

	// The scheduler's own status write does not bring the pod back.
	withStatus := fixture.Pod("p").Obj()
	withStatus.Status.Conditions = []*corev1.PodCondition{{Type: "PodScheduled", Status: "False"}}
	q.Update(pod, withStatus)
	require.Equal(t, [3]int{0, 0, 1}, lens(q))

	// A change to its spec does, after its backoff.
	relaxed := fixture.Pod("p").Toleration("dedicated", "Exists", "", "").Obj()
	q.Update(withStatus, relaxed)
	require.Equal(t, [3]int{0, 1, 0}, lens(q))
	clk.Step(time.Second)
	q.FlushBackoffCompleted()
	p, _ = pop(t, q)
	require.Len(t, p.Pod.GetSpec().GetTolerations(), 1, "the pod is tried as updated")

	// An update in flight is kept for when the pod comes back.
	q.Update(relaxed, fixture.Pod("p").Label("v", "2").Obj())
	require.Equal(t, [3]int{0, 0, 0}, lens(q), "not queued twice")
	q.AddBackoff(p)
	q.Done(p.Key)
	clk.Step(10 * time.Second)
	q.FlushBackoffCompleted()
	p, _ = pop(t, q)
	require.Equal(t, "2", p.Pod.GetMetadata().GetLabels()["v"])
	q.Done(p.Key)

	// Add of a pod the queue holds is an update.
	q.Add(fixture.Pod("p").Obj())
	q.Add(fixture.Pod("p").Label("v", "3").Obj())
	require.Equal(t, [3]int{1, 0, 0}, lens(q))
	p, _ = pop(t, q)
	require.Equal(t, "3", p.Pod.GetMetadata().GetLabels()["v"])
}

func TestDeletes(t *testing.T) {
	q, _ := newQueue()
	for _, n := range []string{"a", "b", "c"} {
		q.Add(fixture.Pod(n).Obj())
	}
	a, ca := pop(t, q)
	q.AddUnschedulable(a, ca)
	q.Done(a.Key)
	b, _ := pop(t, q)
	q.Delete(b.Pod) // deleted while in flight: it must not come back
	q.AddBackoff(b)
	q.Done(b.Key)
	q.Delete(a.Pod)
	q.Delete(fixture.Pod("c").Obj())
	require.Equal(t, [3]int{0, 0, 0}, lens(q))
}

func TestPopWaitsAndCloseWakesIt(t *testing.T) {
	q, _ := newQueue()
	got := make(chan string, 1)
	go func() {
		p, _, ok := q.Pop()
		if !ok {
			got <- "closed"
			return
		}
		got <- p.Pod.GetMetadata().GetName()
	}()
	q.Add(fixture.Pod("p").Obj())
	require.Equal(t, "p", <-got)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	go func() {
		_, _, ok := q.Pop()
		if !ok {
			got <- "closed"
		}
	}()
	cancel()
	require.NoError(t, <-done)
	require.Equal(t, "closed", <-got, "Run closes the queue when its context ends")
}

func TestRunFlushesEverySecond(t *testing.T) {
	q, clk := newQueue()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	q.Add(fixture.Pod("p").Obj())
	p, cycle := pop(t, q)
	q.AddUnschedulable(p, cycle)
	q.Done(p.Key)
	clk.Step(time.Second)
	p, _, ok := q.Pop() // blocks until the flush has moved the pod
	require.True(t, ok)
	require.Equal(t, 2, p.Attempts)
}

func TestDepthsAreReported(t *testing.T) {
	var last [3]int
	q := queue.New(queue.Config{Clock: clock.NewFake(t0), Depths: func(a, b, u int) { last = [3]int{a, b, u} }})
	q.Add(fixture.Pod("a").Obj())
	q.Add(fixture.Pod("b").Obj())
	require.Equal(t, [3]int{2, 0, 0}, last)
	p, cycle := pop(t, q)
	q.AddUnschedulable(p, cycle)
	require.Equal(t, [3]int{1, 0, 1}, last)
	p, _ = pop(t, q)
	q.AddBackoff(p)
	require.Equal(t, [3]int{0, 1, 1}, last)
}

func lens(q *queue.Queue) [3]int {
	a, b, u := q.Len()
	return [3]int{a, b, u}
}
