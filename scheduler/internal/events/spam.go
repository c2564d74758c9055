package events

import (
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// spamFilter is a token bucket per object: burst events at once, then one per refill.
type spamFilter struct {
	clock  clock.Clock
	burst  float64
	refill time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the filter's memory; full buckets carry no information, so they are
// dropped first.
const maxBuckets = 10000

func newSpamFilter(clk clock.Clock, burst int, refill time.Duration) *spamFilter {
	return &spamFilter{clock: clk, burst: float64(burst), refill: refill, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket and reports whether there was one.
func (f *spamFilter) allow(key string) bool {
	now := f.clock.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= maxBuckets {
			f.pruneLocked(now)
		}
		b = &bucket{tokens: f.burst, last: now}
		f.buckets[key] = b
	}
	b.tokens = min(f.burst, b.tokens+float64(now.Sub(b.last))/float64(f.refill))
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// pruneLocked drops the buckets that have refilled completely.
func (f *spamFilter) pruneLocked(now time.Time) {
	for k, b := range f.buckets {
		if b.tokens+float64(now.Sub(b.last))/float64(f.refill) >= f.burst {
			delete(f.buckets, k)
		}
	}
}
