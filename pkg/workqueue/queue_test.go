package workqueue

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// drainQueue takes every queued item, marking each Done, and returns them in order.
func drainQueue[T comparable](q Interface[T]) []T {
	var got []T
	for q.Len() > 0 {
		item, shutdown := q.Get()
		if shutdown {
			break
		}
		got = append(got, item)
		q.Done(item)
	}
	return got
}

func TestQueueOrderAndDeduplication(t *testing.T) {
	tests := []struct {
		name string
		adds []string
		want []string
	}{
		{name: "empty", adds: nil, want: nil},
		{name: "fifo", adds: []string{"a", "b", "c"}, want: []string{"a", "b", "c"}},
		{name: "duplicates collapse in first-add order", adds: []string{"a", "b", "a", "c", "b", "a"}, want: []string{"a", "b", "c"}},
		{name: "one key many times", adds: []string{"x", "x", "x", "x"}, want: []string{"x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := New[string]()
			for _, a := range tc.adds {
				q.Add(a)
			}
			require.Equal(t, len(tc.want), q.Len())
			require.Equal(t, tc.want, drainQueue[string](q))
			require.Zero(t, q.Len())
		})
	}
}

func TestQueueReAddWhileProcessing(t *testing.T) {
	tests := []struct {
		name    string
		reAdds  int
		wantLen int
	}{
		{name: "not re-added is not queued again", reAdds: 0, wantLen: 0},
		{name: "re-added once is queued once after Done", reAdds: 1, wantLen: 1},
		{name: "re-added many times is queued once after Done", reAdds: 5, wantLen: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := New[string]()
			q.Add("a")
			item, shutdown := q.Get()
			require.False(t, shutdown)
			require.Equal(t, "a", item)
			for range tc.reAdds {
				q.Add("a")
			}
			require.Zero(t, q.Len(), "an item being processed is not handed out again")
			q.Done("a")
			require.Equal(t, tc.wantLen, q.Len())
		})
	}
}

func TestQueueSecondWorkerWaitsForDone(t *testing.T) {
	q := New[string]()
	q.Add("a")
	item, _ := q.Get()
	q.Add("a")

	var doneCalled atomic.Bool
	got := make(chan bool, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		item, _ := q.Get()
		got <- item == "a" && doneCalled.Load()
		q.Done(item)
	})
	doneCalled.Store(true)
	q.Done(item)
	wg.Wait()
	require.True(t, <-got, "the second worker got the key only after the first called Done")
}

func TestQueueShutDown(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, q *Queue[string])
	}{
		{"get on empty returns shutdown", func(t *testing.T, q *Queue[string]) {
			t.Helper()
			q.ShutDown()
			_, shutdown := q.Get()
			require.True(t, shutdown)
			require.True(t, q.ShuttingDown())
		}},
		{"queued items are still handed out", func(t *testing.T, q *Queue[string]) {
			t.Helper()
			q.Add("a")
			q.Add("b")
			q.ShutDown()
			require.Equal(t, []string{"a", "b"}, drainQueue[string](q))
			_, shutdown := q.Get()
			require.True(t, shutdown)
		}},
		{"add after shutdown is ignored", func(t *testing.T, q *Queue[string]) {
			t.Helper()
			q.ShutDown()
			q.Add("a")
			require.Zero(t, q.Len())
		}},
		{"blocked getters wake", func(t *testing.T, q *Queue[string]) {
			t.Helper()
			const getters = 4
			results := make(chan bool, getters)
			var wg sync.WaitGroup
			for range getters {
				wg.Go(func() {
					_, shutdown := q.Get()
					results <- shutdown
				})
			}
			q.ShutDown()
			wg.Wait()
			close(results)
			for shutdown := range results {
				require.True(t, shutdown)
			}
		}},
		{"re-added item being processed is handed out after Done", func(t *testing.T, q *Queue[string]) {
			t.Helper()
			q.Add("a")
			item, _ := q.Get()
			q.Add("a")
			q.ShutDown()
			q.Done(item)
			require.Equal(t, []string{"a"}, drainQueue[string](q))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, New[string]()) })
	}
}

func TestQueueShutDownWithDrain(t *testing.T) {
	tests := []struct {
		name string
		// interrupt, if set, ends the drain with ShutDown instead of Done.
		interrupt bool
	}{
		{name: "returns once processing items are done"},
		{name: "a concurrent ShutDown ends the wait", interrupt: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := New[int]()
			q.Add(1)
			q.Add(2)
			one, _ := q.Get()
			two, _ := q.Get()

			var released atomic.Bool
			returnedAfterRelease := make(chan bool, 1)
			var wg sync.WaitGroup
			wg.Go(func() {
				q.ShutDownWithDrain()
				returnedAfterRelease <- released.Load()
			})
			q.Done(one)
			released.Store(true)
			if tc.interrupt {
				// ShutDownWithDrain sets ShuttingDown under the lock it then waits on, so once it
				// reads true the drain is waiting and ShutDown must end it.
				eventually(t, q.ShuttingDown)
				q.ShutDown()
			} else {
				q.Done(two)
			}
			wg.Wait()
			require.True(t, <-returnedAfterRelease)
			require.True(t, q.ShuttingDown())
		})
	}
}

func TestQueueShutDownWithDrainOnIdleQueue(t *testing.T) {
	q := New[int]()
	q.ShutDownWithDrain()
	_, shutdown := q.Get()
	require.True(t, shutdown)
}

// eventually polls cond until it holds, failing the test after 10s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("condition not met within 10s")
		}
	}
}
