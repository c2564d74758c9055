package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/workqueue"
)

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		<-tick.C
	}
}

// runController runs c until the test ends and checks that Run returned nil by then.
func runController(t *testing.T, c *Controller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// TestNoKeyIsReconciledTwiceAtOnce runs many workers over few keys that are added again and again
// while they are being reconciled, and counts the reconciles of each key in flight.
func TestNoKeyIsReconciledTwiceAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		workers int
		keys    int
	}{
		{name: "more workers than keys", workers: 8, keys: 2},
		{name: "as many workers as keys", workers: 4, keys: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string]())
			var (
				mu        sync.Mutex
				inFlight  = map[string]int{}
				overlaps  atomic.Int64
				parallel  int // most reconciles at once, of different keys
				running   int
				reconcile atomic.Int64
			)
			c := New("test", q, func(_ context.Context, key string) (Result, error) {
				mu.Lock()
				inFlight[key]++
				if inFlight[key] > 1 {
					overlaps.Add(1)
				}
				running++
				parallel = max(parallel, running)
				mu.Unlock()
				// Give the others a chance to take the same key while this one holds it.
				for range 100 {
					q.Add(key)
				}
				mu.Lock()
				running--
				inFlight[key]--
				mu.Unlock()
				reconcile.Add(1)
				return Result{}, nil
			}, tt.workers)
			runController(t, c)
			for round := range 50 {
				for k := range tt.keys {
					q.Add(fmt.Sprintf("ns/key-%d", (round+k)%tt.keys))
				}
			}
			eventually(t, func() bool { return reconcile.Load() >= 200 }, "keys are reconciled over and over")
			require.Zero(t, overlaps.Load(), "a key was reconciled by two workers at once")
			if tt.keys > 1 {
				eventually(t, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return parallel > 1
				}, "different keys are reconciled in parallel")
			}
		})
	}
}

// fakeQueue returns a queue timed by a fake clock whose per-key backoff starts at 1s.
func fakeQueue() (*workqueue.RateLimitingQueue[string], *clock.Fake) {
	clk := clock.NewFake(time.Unix(1000, 0))
	limiter := workqueue.NewItemExponentialFailureRateLimiter[string](time.Second, time.Minute)
	return workqueue.NewRateLimiting[string](limiter, workqueue.WithClock(clk)), clk
}

// TestRequeues steps a fake clock through the delays after which a key comes back: the
// doubling backoff after errors, and RequeueAfter.
func TestRequeues(t *testing.T) {
	failure := errors.New("the API said no")
	tests := []struct {
		name    string
		results []error         // what each reconcile returns, in order; the rest succeed
		after   []time.Duration // the RequeueAfter of each reconcile
		delays  []time.Duration // the wait before each reconcile after the first
	}{
		{name: "errors back off doubling", results: []error{failure, failure, failure}, delays: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "requeue after", after: []time.Duration{30 * time.Second, 10 * time.Second}, delays: []time.Duration{30 * time.Second, 10 * time.Second}},
		{name: "success after an error resets the backoff", results: []error{failure, nil, failure},
			after: []time.Duration{0, 5 * time.Second}, delays: []time.Duration{time.Second, 5 * time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, clk := fakeQueue()
			var calls atomic.Int64
			c := New("test", q, func(_ context.Context, key string) (Result, error) {
				if key != "ns/a" {
					t.Errorf("reconciled %q, want ns/a", key)
				}
				n := int(calls.Add(1)) - 1
				var res Result
				if n < len(tt.after) {
					res.RequeueAfter = tt.after[n]
				}
				if n < len(tt.results) {
					return res, tt.results[n]
				}
				return res, nil
			}, 2)
			runController(t, c)
			q.Add("ns/a")
			eventually(t, func() bool { return calls.Load() == 1 }, "first reconcile")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i, d := range tt.delays {
				// The key waits for the clock, and not a nanosecond less than d.
				require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
				clk.Step(d - time.Nanosecond)
				require.Equal(t, 1, clk.Waiters(), "reconcile %d came early", i+2)
				require.Equal(t, int64(i+1), calls.Load())
				clk.Step(time.Nanosecond)
				eventually(t, func() bool { return calls.Load() == int64(i+2) }, fmt.Sprintf("reconcile %d after %s", i+2, d))
			}
			eventually(t, func() bool { return q.Len() == 0 }, "nothing more queued")
		})
	}
}

func TestRunStopsWorkersAndQueue(t *testing.T) {
	q := workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string]())
	started := make(chan struct{})
	c := New("test", q, func(ctx context.Context, _ string) (Result, error) {
		close(started)
		<-ctx.Done() // a reconcile in hand sees the end of Run's context
		return Result{}, ctx.Err()
	}, 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	q.Add("a")
	<-started
	cancel()
	require.NoError(t, <-done)
	require.True(t, q.ShuttingDown())
	require.Zero(t, q.NumRequeues("a"), "an error caused by stopping is not retried")
}

func TestSplitKey(t *testing.T) {
	tests := []struct {
		key, namespace, name string
		wantErr              bool
	}{
		{key: "default/web", namespace: "default", name: "web"},
		{key: "node-a", name: "node-a"},
		{key: "", wantErr: true},
		{key: "a/b/c", wantErr: true},
		{key: "/web", wantErr: true},
		{key: "default/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ns, name, err := SplitKey(tt.key)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.namespace, ns)
			require.Equal(t, tt.name, name)
		})
	}
}
