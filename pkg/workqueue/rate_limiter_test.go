package workqueue

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clock"
)

func TestItemExponentialFailureRateLimiter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		base time.Duration
		max  time.Duration
		want []time.Duration
	}{
		{name: "doubles", base: ms, max: time.Hour, want: []time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 16 * ms}},
		{name: "capped", base: ms, max: 5 * ms, want: []time.Duration{ms, 2 * ms, 4 * ms, 5 * ms, 5 * ms}},
		{name: "base above max", base: time.Second, max: ms, want: []time.Duration{ms, ms}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewItemExponentialFailureRateLimiter[string](tc.base, tc.max)
			for i, want := range tc.want {
				require.Equal(t, i, r.NumRequeues("a"))
				require.Equal(t, want, r.When("a"), "retry %d", i)
			}
			require.Equal(t, len(tc.want), r.NumRequeues("a"))
			require.Zero(t, r.NumRequeues("b"), "items are tracked independently")
			require.Equal(t, min(tc.base, tc.max), r.When("b"))
			r.Forget("a")
			require.Zero(t, r.NumRequeues("a"))
			require.Equal(t, min(tc.base, tc.max), r.When("a"))
		})
	}
}

func TestItemExponentialFailureRateLimiterSaturates(t *testing.T) {
	r := NewItemExponentialFailureRateLimiter[int](time.Nanosecond, time.Duration(1<<62))
	var last time.Duration
	for range 200 {
		last = r.When(1)
		require.Positive(t, last)
	}
	require.Equal(t, time.Duration(1<<62), last)
}

func TestBucketRateLimiter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		qps   float64
		burst int
		// calls[i] is the step taken before the i-th When; want[i] its answer.
		steps []time.Duration
		want  []time.Duration
	}{
		{
			name: "burst then spaced by 1/qps", qps: 10, burst: 3,
			steps: []time.Duration{0, 0, 0, 0, 0},
			want:  []time.Duration{0, 0, 0, 100 * ms, 200 * ms},
		},
		{
			name: "refills with time", qps: 10, burst: 2,
			steps: []time.Duration{0, 0, 0, 300 * ms, 0},
			want:  []time.Duration{0, 0, 100 * ms, 0, 0},
		},
		{
			name: "refill is capped at burst", qps: 10, burst: 1,
			steps: []time.Duration{0, time.Hour, 0},
			want:  []time.Duration{0, 0, 100 * ms},
		},
		{
			name: "debt is paid before refilling", qps: 1, burst: 1,
			steps: []time.Duration{0, 0, 0, time.Second, 0},
			want:  []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second},
		},
		{
			name: "burst below one is one", qps: 2, burst: 0,
			steps: []time.Duration{0, 0},
			want:  []time.Duration{0, 500 * ms},
		},
		{
			name: "no qps means no limit", qps: 0, burst: 1,
			steps: []time.Duration{0, 0, 0},
			want:  []time.Duration{0, 0, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := clock.NewFake(epoch)
			r := NewBucketRateLimiter[string](tc.qps, tc.burst, WithClock(fc))
			for i := range tc.want {
				fc.Step(tc.steps[i])
				require.Equal(t, tc.want[i], r.When(fmt.Sprint(i)), "call %d", i)
			}
			r.Forget("x")
			require.Zero(t, r.NumRequeues("x"))
		})
	}
}

// fixedLimiter answers a fixed delay and counts calls, to test combinators.
type fixedLimiter struct {
	delay    time.Duration
	requeues map[string]int
}

func (f *fixedLimiter) When(item string) time.Duration { f.requeues[item]++; return f.delay }
func (f *fixedLimiter) Forget(item string)             { delete(f.requeues, item) }
func (f *fixedLimiter) NumRequeues(item string) int    { return f.requeues[item] }

func TestMaxOfRateLimiter(t *testing.T) {
	tests := []struct {
		name   string
		delays []time.Duration
		want   time.Duration
	}{
		{name: "none", delays: nil, want: 0},
		{name: "one", delays: []time.Duration{time.Second}, want: time.Second},
		{name: "longest wins", delays: []time.Duration{time.Second, 3 * time.Second, 2 * time.Second}, want: 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var parts []RateLimiter[string]
			var fixed []*fixedLimiter
			for _, d := range tc.delays {
				f := &fixedLimiter{delay: d, requeues: map[string]int{}}
				fixed = append(fixed, f)
				parts = append(parts, f)
			}
			r := NewMaxOfRateLimiter(parts...)
			require.Equal(t, tc.want, r.When("a"))
			for _, f := range fixed {
				require.Equal(t, 1, f.NumRequeues("a"), "every limiter counts the retry")
			}
			if len(fixed) > 0 {
				fixed[0].requeues["a"] = 7
				require.Equal(t, 7, r.NumRequeues("a"), "the highest count is reported")
			}
			r.Forget("a")
			require.Zero(t, r.NumRequeues("a"))
		})
	}
}

func TestDefaultControllerRateLimiter(t *testing.T) {
	fc := clock.NewFake(epoch)
	r := DefaultControllerRateLimiter[string](WithClock(fc))

	// One item backs off exponentially from 5ms while the bucket has tokens.
	for i, want := range []time.Duration{5, 10, 20, 40} {
		require.Equal(t, want*time.Millisecond, r.When("a"), "retry %d", i)
	}
	require.Equal(t, 4, r.NumRequeues("a"))

	// 96 tokens remain: new items wait 5ms until the bucket empties, then 100ms apart.
	for i := range 96 {
		require.Equal(t, 5*time.Millisecond, r.When(fmt.Sprint(i)))
	}
	require.Equal(t, 100*time.Millisecond, r.When("x"))
	require.Equal(t, 200*time.Millisecond, r.When("y"))

	// The per-item cap is 1000s.
	for range 30 {
		r.When("slow")
	}
	require.Equal(t, 1000*time.Second, r.When("slow"))
}
