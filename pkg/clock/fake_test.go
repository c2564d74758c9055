package clock

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fired reports whether ch holds a value, without blocking.
func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case t := <-ch:
		return t, true
	default:
		return time.Time{}, false
	}
}

func TestFakeNowSinceUntil(t *testing.T) {
	f := NewFake(epoch)
	require.Equal(t, epoch, f.Now())
	f.Step(3 * time.Second)
	require.Equal(t, epoch.Add(3*time.Second), f.Now())
	require.Equal(t, 3*time.Second, f.Since(epoch))
	require.Equal(t, 7*time.Second, f.Until(epoch.Add(10*time.Second)))
	f.SetTime(epoch)
	require.Equal(t, epoch, f.Now())
}

func TestFakeTimer(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		act       func(f *Fake, tm Timer)
		wantFired bool
		wantAt    time.Time
		waiters   int
	}{
		{name: "not due yet", d: time.Second, act: func(f *Fake, _ Timer) { f.Step(999 * time.Millisecond) }, waiters: 1},
		{name: "due exactly", d: time.Second, act: func(f *Fake, _ Timer) { f.Step(time.Second) }, wantFired: true, wantAt: epoch.Add(time.Second)},
		{name: "overdue delivers the clock's time", d: time.Second, act: func(f *Fake, _ Timer) { f.Step(5 * time.Second) }, wantFired: true, wantAt: epoch.Add(5 * time.Second)},
		{name: "zero duration fires at once", d: 0, act: func(*Fake, Timer) {}, wantFired: true, wantAt: epoch},
		{name: "negative duration fires at once", d: -time.Second, act: func(*Fake, Timer) {}, wantFired: true, wantAt: epoch},
		{name: "stopped", d: time.Second, act: func(f *Fake, tm Timer) {
			require.True(t, tm.Stop())
			require.False(t, tm.Stop())
			f.Step(time.Hour)
		}},
		{name: "set time", d: time.Minute, act: func(f *Fake, _ Timer) { f.SetTime(epoch.Add(time.Hour)) }, wantFired: true, wantAt: epoch.Add(time.Hour)},
		{name: "set time backwards", d: time.Minute, act: func(f *Fake, _ Timer) { f.SetTime(epoch.Add(-time.Hour)) }, waiters: 1},
		{name: "reset before firing postpones", d: time.Second, act: func(f *Fake, tm Timer) {
			f.Step(500 * time.Millisecond)
			require.True(t, tm.Reset(time.Second))
			f.Step(900 * time.Millisecond)
		}, waiters: 1},
		{name: "reset after firing re-arms and drops the stale value", d: time.Second, act: func(f *Fake, tm Timer) {
			f.Step(time.Second)
			require.False(t, tm.Reset(2*time.Second))
			f.Step(2 * time.Second)
		}, wantFired: true, wantAt: epoch.Add(3 * time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake(epoch)
			tm := f.NewTimer(tc.d)
			tc.act(f, tm)
			at, ok := fired(tm.C())
			require.Equal(t, tc.wantFired, ok)
			if tc.wantFired {
				require.Equal(t, tc.wantAt, at)
			}
			require.Equal(t, tc.waiters, f.Waiters())
			require.Equal(t, tc.waiters > 0, f.HasWaiters())
		})
	}
}

func TestFakeAfter(t *testing.T) {
	f := NewFake(epoch)
	ch := f.After(time.Minute)
	_, ok := fired(ch)
	require.False(t, ok)
	f.Step(time.Minute)
	at, ok := fired(ch)
	require.True(t, ok)
	require.Equal(t, epoch.Add(time.Minute), at)
	require.False(t, f.HasWaiters())
}

func TestFakeTicker(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration
		// ticks[i] is the tick expected after steps[i], zero for none.
		ticks []time.Duration
	}{
		{
			name:  "one tick per period",
			steps: []time.Duration{time.Second, time.Second, time.Second},
			ticks: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second},
		},
		{
			name:  "partial period does not tick",
			steps: []time.Duration{500 * time.Millisecond, 400 * time.Millisecond, 100 * time.Millisecond},
			ticks: []time.Duration{0, 0, time.Second},
		},
		{
			name:  "several missed periods tick once and stay aligned",
			steps: []time.Duration{3500 * time.Millisecond, 500 * time.Millisecond},
			ticks: []time.Duration{3500 * time.Millisecond, 4 * time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake(epoch)
			tk := f.NewTicker(time.Second)
			for i, d := range tc.steps {
				f.Step(d)
				at, ok := fired(tk.C())
				require.Equal(t, tc.ticks[i] != 0, ok, "step %d", i)
				if ok {
					require.Equal(t, epoch.Add(tc.ticks[i]), at, "step %d", i)
				}
			}
			tk.Stop()
			f.Step(time.Hour)
			_, ok := fired(tk.C())
			require.False(t, ok)
			require.Zero(t, f.Waiters())
		})
	}
}

func TestFakeTickerDropsUnreceivedTicks(t *testing.T) {
	f := NewFake(epoch)
	tk := f.NewTicker(time.Second)
	f.Step(time.Second)
	f.Step(time.Second)
	at, ok := fired(tk.C())
	require.True(t, ok)
	require.Equal(t, epoch.Add(time.Second), at, "the first tick is kept, the second dropped")
	_, ok = fired(tk.C())
	require.False(t, ok)
}

func TestFakeTickerReset(t *testing.T) {
	f := NewFake(epoch)
	tk := f.NewTicker(time.Second)
	f.Step(500 * time.Millisecond)
	tk.Reset(time.Minute)
	f.Step(time.Second)
	_, ok := fired(tk.C())
	require.False(t, ok)
	f.Step(time.Minute)
	_, ok = fired(tk.C())
	require.True(t, ok)
	require.Panics(t, func() { tk.Reset(0) })
	require.Panics(t, func() { f.NewTicker(0) })
}

func TestFakeAfterFunc(t *testing.T) {
	tests := []struct {
		name  string
		delay []time.Duration
		stop  []bool
		step  time.Duration
		want  []int
	}{
		{name: "runs in due order", delay: []time.Duration{3 * time.Second, time.Second, 2 * time.Second}, stop: []bool{false, false, false}, step: 5 * time.Second, want: []int{1, 2, 0}},
		{name: "same due time runs in creation order", delay: []time.Duration{time.Second, time.Second}, stop: []bool{false, false}, step: time.Second, want: []int{0, 1}},
		{name: "not due does not run", delay: []time.Duration{time.Second, time.Minute}, stop: []bool{false, false}, step: time.Second, want: []int{0}},
		{name: "stopped does not run", delay: []time.Duration{time.Second, time.Second}, stop: []bool{true, false}, step: time.Second, want: []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFake(epoch)
			var got []int
			for i, d := range tc.delay {
				tm := f.AfterFunc(d, func() { got = append(got, i) })
				require.Nil(t, tm.C())
				if tc.stop[i] {
					require.True(t, tm.Stop())
				}
			}
			f.Step(tc.step)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFakeAfterFuncMayUseTheClock(t *testing.T) {
	f := NewFake(epoch)
	var runs []time.Time
	var tm Timer
	tm = f.AfterFunc(time.Second, func() {
		runs = append(runs, f.Now())
		tm.Reset(time.Second)
	})
	for range 3 {
		f.Step(time.Second)
	}
	require.Equal(t, []time.Time{epoch.Add(time.Second), epoch.Add(2 * time.Second), epoch.Add(3 * time.Second)}, runs)
	require.Equal(t, 1, f.Waiters())
}

func TestFakeAfterFuncDueAtCreationRunsOnNextStep(t *testing.T) {
	f := NewFake(epoch)
	ran := false
	f.AfterFunc(0, func() { ran = true })
	require.False(t, ran)
	f.Step(0)
	require.True(t, ran)
}

func TestFakeBlockUntilWaiters(t *testing.T) {
	f := NewFake(epoch)
	got := make(chan time.Time, 1)
	var wg sync.WaitGroup
	wg.Go(func() { got <- <-f.After(time.Minute) })

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, f.BlockUntilWaiters(ctx, 1))
	f.Step(time.Minute)
	wg.Wait()
	require.Equal(t, epoch.Add(time.Minute), <-got)

	expired, cancelExpired := context.WithCancel(t.Context())
	cancelExpired()
	require.ErrorIs(t, f.BlockUntilWaiters(expired, 1), context.Canceled)
}

func TestFakeConcurrentUse(t *testing.T) {
	f := NewFake(epoch)
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				tm := f.NewTimer(time.Millisecond)
				f.Step(time.Millisecond)
				<-tm.C()
				tm.Stop()
				tk := f.NewTicker(time.Millisecond)
				tk.Stop()
				_ = f.Now()
			}
		})
	}
	wg.Wait()
	require.Equal(t, epoch.Add(workers*rounds*time.Millisecond), f.Now())
	require.Zero(t, f.Waiters())
}
