package clock

import "time"

// Clock tells the time and creates timers, tickers and delayed calls. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Since returns the time elapsed since t; it is shorthand for Now().Sub(t).
	Since(t time.Time) time.Duration
	// Until returns the duration until t; it is shorthand for t.Sub(Now()).
	Until(t time.Time) time.Duration
	// After returns a channel that receives the current time once d has elapsed. The channel is
	// buffered, so an abandoned receive leaks nothing beyond the pending timer.
	After(d time.Duration) <-chan time.Time
	// NewTimer returns a Timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// NewTicker returns a Ticker that fires every d. It panics if d <= 0, as time.NewTicker does.
	NewTicker(d time.Duration) Ticker
	// AfterFunc calls f once d has elapsed and returns a Timer that can cancel or re-arm the call.
	// The Timer's C returns nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a single event, like *time.Timer.
type Timer interface {
	// C returns the channel on which the fire time is delivered; nil for an AfterFunc timer.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether the call stopped the timer, false if
	// it had already fired or been stopped.
	Stop() bool
	// Reset re-arms the timer to fire after d. It reports whether the timer was active before.
	Reset(d time.Duration) bool
}

// Ticker delivers ticks at a fixed interval, like *time.Ticker. A tick that nobody receives is
// dropped rather than queued.
type Ticker interface {
	// C returns the channel on which ticks are delivered.
	C() <-chan time.Time
	// Stop turns the ticker off; no more ticks are sent after it returns.
	Stop()
	// Reset stops the ticker and restarts it with period d. It panics if d <= 0.
	Reset(d time.Duration)
}
