package workqueue

// RateLimitingInterface is a DelayingInterface whose items are re-added after a delay chosen by a
// RateLimiter.
type RateLimitingInterface[T comparable] interface {
	DelayingInterface[T]
	// AddRateLimited adds item after the delay the rate limiter chooses for it.
	AddRateLimited(item T)
	// Forget tells the rate limiter that item is done with; it does not remove item from the
	// queue.
	Forget(item T)
	// NumRequeues returns how many times item has been rate-limited since it was last forgotten.
	NumRequeues(item T) int
}

// RateLimitingQueue is a DelayingQueue driven by a RateLimiter. Create it with NewRateLimiting.
type RateLimitingQueue[T comparable] struct {
	*DelayingQueue[T]
	limiter RateLimiter[T]
}

var _ RateLimitingInterface[string] = (*RateLimitingQueue[string])(nil)

// NewRateLimiting returns an empty RateLimitingQueue using limiter, timed by the clock given
// WithClock. The limiter is not shared with the queue's clock: give a BucketRateLimiter the same
// WithClock option.
func NewRateLimiting[T comparable](limiter RateLimiter[T], opts ...Option) *RateLimitingQueue[T] {
	return &RateLimitingQueue[T]{DelayingQueue: NewDelaying[T](opts...), limiter: limiter}
}

// AddRateLimited adds item after limiter.When(item).
func (q *RateLimitingQueue[T]) AddRateLimited(item T) {
	q.AddAfter(item, q.limiter.When(item))
}

// Forget resets the limiter's record of item.
func (q *RateLimitingQueue[T]) Forget(item T) { q.limiter.Forget(item) }

// NumRequeues returns the limiter's retry count for item.
func (q *RateLimitingQueue[T]) NumRequeues(item T) int { return q.limiter.NumRequeues(item) }
