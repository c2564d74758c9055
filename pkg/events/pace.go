package events

import (
	"context"
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

// refillTo adds the tokens earned between b.last and now, one per refill, up to burst.
func (b *bucket) refillTo(now time.Time, burst float64, refill time.Duration) {
	b.tokens = min(burst, b.tokens+float64(now.Sub(b.last))/float64(refill))
	b.last = now
}

// pacer spaces out a stream of calls: burst at once, then one per interval. Its wait is for a
// single goroutine.
type pacer struct {
	clock    clock.Clock
	burst    float64
	interval time.Duration
	b        bucket
}

func newPacer(clk clock.Clock, burst int, interval time.Duration) *pacer {
	return &pacer{clock: clk, burst: float64(burst), interval: interval, b: bucket{tokens: float64(burst), last: clk.Now()}}
}

// wait takes a token, first waiting for one to be earned; it fails only when ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	for {
		p.b.refillTo(p.clock.Now(), p.burst, p.interval)
		if p.b.tokens >= 1 {
			p.b.tokens--
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.clock.After(time.Duration((1 - p.b.tokens) * float64(p.interval))):
		}
	}
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
	b.refillTo(now, f.burst, f.refill)
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
