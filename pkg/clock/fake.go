package clock

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a Clock whose time moves only when a test calls Step or SetTime. It is modelled on
// k8s.io/utils/clock/testing.FakeClock and is safe for concurrent use.
//
// Timers, tickers and After channels fire during Step or SetTime when their due time is reached;
// a timer created with d <= 0 fires at once. AfterFunc callbacks run in the goroutine that calls
// Step or SetTime, in order of due time, after the Fake's lock is released, so a callback may use
// the Fake; a callback that is already due when it is created runs on the next Step or SetTime.
// Tests learn that the code under test is blocked on the clock through Waiters, HasWaiters and
// BlockUntilWaiters before they move time.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	waiters map[*waiter]struct{}
	// changed is closed, and replaced, whenever the set of waiters changes.
	changed chan struct{}
}

var _ Clock = (*Fake)(nil)

// waiter is one pending timer, ticker or AfterFunc.
type waiter struct {
	at     time.Time
	seq    uint64        // creation order, to fire waiters due at the same time deterministically
	period time.Duration // > 0 for a ticker
	ch     chan time.Time
	fn     func()
}

// NewFake returns a Fake clock that reads t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, waiters: map[*waiter]struct{}{}, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since returns the fake time elapsed since t.
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Until returns the fake duration until t.
func (f *Fake) Until(t time.Time) time.Duration { return t.Sub(f.Now()) }

// After returns a channel that receives the fake time once the clock has moved d forward.
func (f *Fake) After(d time.Duration) <-chan time.Time { return f.NewTimer(d).C() }

// NewTimer returns a Timer that fires once the clock has moved d forward.
func (f *Fake) NewTimer(d time.Duration) Timer {
	w := &waiter{ch: make(chan time.Time, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armLocked(w, d)
	return &fakeTimer{f: f, w: w}
}

// NewTicker returns a Ticker that fires each time the clock passes another multiple of d. It panics
// if d <= 0, as time.NewTicker does.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	w := &waiter{ch: make(chan time.Time, 1), period: d}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armLocked(w, d)
	return &fakeTicker{f: f, w: w}
}

// AfterFunc calls fn once the clock has moved d forward; see Fake for the goroutine it runs in.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	w := &waiter{fn: fn}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armLocked(w, d)
	return &fakeTimer{f: f, w: w}
}

// Step moves the clock forward by d and fires everything that has become due.
func (f *Fake) Step(d time.Duration) {
	f.mu.Lock()
	f.setTimeLocked(f.now.Add(d))
}

// SetTime sets the clock to t and fires everything due at or before t. Setting the time backwards
// fires nothing.
func (f *Fake) SetTime(t time.Time) {
	f.mu.Lock()
	f.setTimeLocked(t)
}

// setTimeLocked is entered with f.mu held and releases it before running AfterFunc callbacks.
func (f *Fake) setTimeLocked(t time.Time) {
	f.now = t
	var due []*waiter
	for w := range f.waiters {
		if !w.at.After(t) {
			due = append(due, w)
		}
	}
	slices.SortFunc(due, func(a, b *waiter) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	var calls []func()
	for _, w := range due {
		if w.ch != nil {
			deliver(w.ch, t)
		}
		if w.fn != nil {
			calls = append(calls, w.fn)
		}
		if w.period > 0 {
			// A ticker that missed several periods fires once, like time.Ticker, and stays aligned.
			for !w.at.After(t) {
				w.at = w.at.Add(w.period)
			}
			continue
		}
		delete(f.waiters, w)
	}
	if len(due) > 0 {
		f.notifyLocked()
	}
	f.mu.Unlock()
	for _, fn := range calls {
		fn()
	}
}

// Waiters returns the number of timers, tickers and AfterFunc calls waiting for the clock.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// HasWaiters reports whether anything is waiting for the clock.
func (f *Fake) HasWaiters() bool { return f.Waiters() > 0 }

// BlockUntilWaiters blocks until at least n timers, tickers or AfterFunc calls wait for the clock,
// or ctx ends, in which case it returns ctx.Err().
func (f *Fake) BlockUntilWaiters(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		count, changed := len(f.waiters), f.changed
		f.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// armLocked schedules w to fire d from now. A channel waiter already due fires at once.
func (f *Fake) armLocked(w *waiter, d time.Duration) bool {
	_, active := f.waiters[w]
	drain(w.ch)
	w.at = f.now.Add(d)
	if d <= 0 && w.ch != nil && w.period == 0 {
		deliver(w.ch, f.now)
		if active {
			delete(f.waiters, w)
			f.notifyLocked()
		}
		return active
	}
	f.seq++
	w.seq = f.seq
	f.waiters[w] = struct{}{}
	f.notifyLocked()
	return active
}

// disarmLocked removes w and reports whether it was waiting.
func (f *Fake) disarmLocked(w *waiter) bool {
	drain(w.ch)
	if _, active := f.waiters[w]; !active {
		return false
	}
	delete(f.waiters, w)
	f.notifyLocked()
	return true
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// deliver sends t without blocking: a value nobody received yet is kept and t is dropped, as
// time.Ticker drops ticks for a slow receiver.
func deliver(ch chan time.Time, t time.Time) {
	select {
	case ch <- t:
	default:
	}
}

// drain discards a value delivered but not received, so that after Stop or Reset no stale time is
// read, as with timers since Go 1.23.
func drain(ch chan time.Time) {
	if ch == nil {
		return
	}
	select {
	case <-ch:
	default:
	}
}
