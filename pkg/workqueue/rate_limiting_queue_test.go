package workqueue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

func TestRateLimitingQueueBacksOff(t *testing.T) {
	tests := []struct {
		name string
		// forgetAfter forgets the item after this many failed attempts; 0 never forgets.
		forgetAfter int
		attempts    int
		wantDelays  []time.Duration
	}{
		{name: "exponential retries", attempts: 4, wantDelays: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{name: "forget resets the backoff", attempts: 4, forgetAfter: 2, wantDelays: []time.Duration{time.Second, 2 * time.Second, time.Second, 2 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := clock.NewFake(epoch)
			q := NewRateLimiting(NewItemExponentialFailureRateLimiter[string](time.Second, time.Minute), WithClock(fc))
			defer q.ShutDown()

			for i := range tc.attempts {
				if tc.forgetAfter > 0 && i == tc.forgetAfter {
					q.Forget("a")
					require.Zero(t, q.NumRequeues("a"))
				}
				q.AddRateLimited("a")
				d := tc.wantDelays[i]
				fc.Step(d - time.Millisecond)
				require.Zero(t, q.Len(), "attempt %d is not ready before %v", i, d)
				fc.Step(time.Millisecond)
				require.Equal(t, []string{"a"}, drainQueue[string](q), "attempt %d is ready after %v", i, d)
			}
		})
	}
}

func TestRateLimitingQueueNumRequeues(t *testing.T) {
	fc := clock.NewFake(epoch)
	q := NewRateLimiting(DefaultControllerRateLimiter[string](WithClock(fc)), WithClock(fc))
	defer q.ShutDown()
	for range 3 {
		q.AddRateLimited("a")
	}
	require.Equal(t, 3, q.NumRequeues("a"))
	require.Zero(t, q.NumRequeues("b"))
	fc.Step(5 * time.Millisecond)
	require.Equal(t, 1, q.Len(), "the earliest of the three ready times wins")
	q.Forget("a")
	require.Zero(t, q.NumRequeues("a"))
}
