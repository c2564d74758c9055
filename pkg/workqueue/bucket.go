package workqueue

import (
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// BucketRateLimiter limits all items together with a token bucket: it holds up to burst tokens,
// refills at qps tokens a second, and each When takes one token, waiting for it if the bucket is
// empty. Like golang.org/x/time/rate's Reserve, the wait is reserved at once, so the bucket may go
// into debt and later callers wait longer. It does not track items: Forget does nothing and
// NumRequeues is 0.
type BucketRateLimiter[T comparable] struct {
	clock clock.Clock
	qps   float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

var _ RateLimiter[string] = (*BucketRateLimiter[string])(nil)

// NewBucketRateLimiter returns a limiter refilling qps tokens a second with room for burst tokens;
// the bucket starts full. qps <= 0 means no limit (When always returns 0); burst < 1 is taken as 1.
// The clock comes from WithClock.
func NewBucketRateLimiter[T comparable](qps float64, burst int, opts ...Option) *BucketRateLimiter[T] {
	o := buildOptions(opts)
	b := float64(max(burst, 1))
	return &BucketRateLimiter[T]{clock: o.clock, qps: qps, burst: b, tokens: b, last: o.clock.Now()}
}

// When takes a token and returns how long to wait until it is available.
func (r *BucketRateLimiter[T]) When(T) time.Duration {
	if r.qps <= 0 {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	if elapsed := now.Sub(r.last); elapsed > 0 {
		r.tokens = min(r.burst, r.tokens+elapsed.Seconds()*r.qps)
		r.last = now
	}
	r.tokens--
	if r.tokens >= 0 {
		return 0
	}
	return time.Duration(-r.tokens / r.qps * float64(time.Second))
}

// Forget does nothing: the bucket is shared by all items.
func (r *BucketRateLimiter[T]) Forget(T) {}

// NumRequeues returns 0: the bucket does not track items.
func (r *BucketRateLimiter[T]) NumRequeues(T) int { return 0 }
