package workqueue

import (
	"math"
	"sync"
	"time"
)

// ItemExponentialFailureRateLimiter delays each item by base * 2^(retries so far), capped at max.
// Items are tracked independently; Forget resets one.
type ItemExponentialFailureRateLimiter[T comparable] struct {
	mu       sync.Mutex
	failures map[T]int
	base     time.Duration
	max      time.Duration
}

var _ RateLimiter[string] = (*ItemExponentialFailureRateLimiter[string])(nil)

// NewItemExponentialFailureRateLimiter returns a limiter whose first delay is base and whose delays
// double up to maxDelay.
func NewItemExponentialFailureRateLimiter[T comparable](base, maxDelay time.Duration) *ItemExponentialFailureRateLimiter[T] {
	return &ItemExponentialFailureRateLimiter[T]{failures: map[T]int{}, base: base, max: maxDelay}
}

// When returns base * 2^n for the item's n-th retry (counting from 0), capped at max.
func (r *ItemExponentialFailureRateLimiter[T]) When(item T) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	exp := r.failures[item]
	r.failures[item] = exp + 1
	// Computed in float64 so that a large exponent saturates instead of overflowing.
	backoff := float64(r.base.Nanoseconds()) * math.Pow(2, float64(exp))
	if backoff >= float64(r.max.Nanoseconds()) || backoff >= math.MaxInt64 {
		return r.max
	}
	return time.Duration(backoff)
}

// Forget resets item's retry count.
func (r *ItemExponentialFailureRateLimiter[T]) Forget(item T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.failures, item)
}

// NumRequeues returns how many times When has been called for item since it was forgotten.
func (r *ItemExponentialFailureRateLimiter[T]) NumRequeues(item T) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failures[item]
}
