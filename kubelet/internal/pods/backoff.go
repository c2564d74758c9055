package pods

import (
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// backoff is the crash-loop backoff of Kubernetes' kubelet, per container: the first restart
// after an exit is immediate; each later one waits a delay that starts at initial and doubles up to
// a limit, counted from the exit. A container that ran for more than twice the limit since its last restart
// starts again from nothing.
type backoff struct {
	clock          clock.Clock
	initial, limit time.Duration

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	delay      time.Duration
	lastUpdate time.Time // when the last restart was allowed
}

func newBackoff(clk clock.Clock, initial, limit time.Duration) *backoff {
	return &backoff{clock: clk, initial: initial, limit: limit, entries: map[string]*backoffEntry{}}
}

// wait returns how long a container that exited at exitedAt must still wait before its restart,
// and the delay in force; 0 means it may restart now.
func (b *backoff) wait(key string, exitedAt time.Time) (remaining, delay time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok || b.expired(e, exitedAt) {
		return 0, 0
	}
	if r := e.delay - b.clock.Since(exitedAt); r > 0 {
		return r, e.delay
	}
	return 0, e.delay
}

// next records a restart allowed now and lengthens the delay before the one after it.
func (b *backoff) next(key string, exitedAt time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	e, ok := b.entries[key]
	switch {
	case !ok || b.expired(e, exitedAt):
		b.entries[key] = &backoffEntry{delay: b.initial, lastUpdate: now}
	default:
		e.delay = min(2*e.delay, b.limit)
		e.lastUpdate = now
	}
}

// expired reports whether the container ran long enough since its last restart to forget it.
func (b *backoff) expired(e *backoffEntry, exitedAt time.Time) bool {
	return exitedAt.Sub(e.lastUpdate) > 2*b.limit
}

// forget drops every entry whose key starts with prefix (a pod's UID).
func (b *backoff) forget(prefix string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.entries {
		if len(k) >= len(prefix) && k[:len(prefix)] == prefix {
			delete(b.entries, k)
		}
	}
}
