package workqueue

import "time"

// RateLimiter decides how long an item must wait before it is retried.
type RateLimiter[T comparable] interface {
	// When returns how long item should wait before it is added again. Each call counts as one
	// more retry of item.
	When(item T) time.Duration
	// Forget resets what the limiter tracks about item; call it once item has been processed
	// successfully.
	Forget(item T)
	// NumRequeues returns how many times item has been retried since it was last forgotten.
	NumRequeues(item T) int
}

// MaxOfRateLimiter asks every limiter and waits for the longest answer.
type MaxOfRateLimiter[T comparable] struct {
	limiters []RateLimiter[T]
}

var _ RateLimiter[string] = (*MaxOfRateLimiter[string])(nil)

// NewMaxOfRateLimiter combines limiters; with none, When always returns 0.
func NewMaxOfRateLimiter[T comparable](limiters ...RateLimiter[T]) *MaxOfRateLimiter[T] {
	return &MaxOfRateLimiter[T]{limiters: limiters}
}

// When returns the longest delay any limiter asks for. Every limiter is asked, so each counts the
// retry.
func (r *MaxOfRateLimiter[T]) When(item T) time.Duration {
	var longest time.Duration
	for _, l := range r.limiters {
		longest = max(longest, l.When(item))
	}
	return longest
}

// Forget forgets item in every limiter.
func (r *MaxOfRateLimiter[T]) Forget(item T) {
	for _, l := range r.limiters {
		l.Forget(item)
	}
}

// NumRequeues returns the highest retry count any limiter reports.
func (r *MaxOfRateLimiter[T]) NumRequeues(item T) int {
	var most int
	for _, l := range r.limiters {
		most = max(most, l.NumRequeues(item))
	}
	return most
}

// DefaultControllerRateLimiter is the limiter controllers use unless they have a reason not to, as
// in client-go: per-item exponential backoff from 5ms to 1000s, and overall at most 10 retries a
// second with bursts of 100. The options configure the token bucket's clock.
func DefaultControllerRateLimiter[T comparable](opts ...Option) RateLimiter[T] {
	return NewMaxOfRateLimiter(
		NewItemExponentialFailureRateLimiter[T](5*time.Millisecond, 1000*time.Second),
		NewBucketRateLimiter[T](10, 100, opts...),
	)
}
