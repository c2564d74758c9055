package controller

import (
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// DefaultExpectationsTTL is how long an expectation waits to be met before it lapses, as in
// Kubernetes: long enough for a slow informer, short enough that a lost event stalls a controller
// only that long.
const DefaultExpectationsTTL = 5 * time.Minute

// Expectations tracks, per controller key, the creates and deletes the controller has asked the
// API for and not yet observed in its informers, as Kubernetes' ControllerExpectations does. A
// reconcile acts only when Satisfied: every expected add and delete has been observed, the
// expectation has lapsed (its TTL passed on the clock since it was set), or none was set. Its
// methods are safe for concurrent use.
type Expectations struct {
	clock clock.Clock
	ttl   time.Duration

	mu sync.Mutex
	m  map[string]*expectation
}

// expectation is what one key still waits for.
type expectation struct {
	adds, dels int
	set        time.Time
}

// NewExpectations returns empty expectations that lapse after ttl (DefaultExpectationsTTL when
// ttl <= 0) on clk (the real clock when nil).
func NewExpectations(clk clock.Clock, ttl time.Duration) *Expectations {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if ttl <= 0 {
		ttl = DefaultExpectationsTTL
	}
	return &Expectations{clock: clk, ttl: ttl, m: map[string]*expectation{}}
}

// Expect replaces key's expectation with adds creates and dels deletes, and restarts its TTL.
// Call it before issuing the calls, so that an observation cannot come first.
func (e *Expectations) Expect(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[key] = &expectation{adds: adds, dels: dels, set: e.clock.Now()}
}

// ExpectCreations is Expect(key, adds, 0).
func (e *Expectations) ExpectCreations(key string, adds int) { e.Expect(key, adds, 0) }

// ExpectDeletions is Expect(key, 0, dels).
func (e *Expectations) ExpectDeletions(key string, dels int) { e.Expect(key, 0, dels) }

// Raise adds to key's expectation without restarting its TTL; it does nothing for a key with no
// expectation.
func (e *Expectations) Raise(key string, adds, dels int) { e.change(key, adds, dels) }

// Lower subtracts from key's expectation: a call the controller expected failed, so its effect
// will never be observed.
func (e *Expectations) Lower(key string, adds, dels int) { e.change(key, -adds, -dels) }

// CreationObserved records that the informer showed one expected create of key.
func (e *Expectations) CreationObserved(key string) { e.change(key, -1, 0) }

// DeletionObserved records that the informer showed one expected delete of key.
func (e *Expectations) DeletionObserved(key string) { e.change(key, 0, -1) }

func (e *Expectations) change(key string, adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if exp, ok := e.m[key]; ok {
		exp.adds += adds
		exp.dels += dels
	}
}

// Satisfied reports whether key may be acted on: nothing is expected of it, all it expected was
// observed, or its expectation lapsed.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.m[key]
	if !ok {
		return true
	}
	return (exp.adds <= 0 && exp.dels <= 0) || e.clock.Since(exp.set) > e.ttl
}

// Pending returns the creates and deletes key still waits for; zeros when it waits for none.
func (e *Expectations) Pending(key string) (adds, dels int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if exp, ok := e.m[key]; ok {
		return max(exp.adds, 0), max(exp.dels, 0)
	}
	return 0, 0
}

// Delete forgets key's expectation, when the object it belongs to is gone.
func (e *Expectations) Delete(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}
