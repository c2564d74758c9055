// Package workqueue provides the queues controllers are built on, modelled on client-go's
// util/workqueue but generic over the key type.
//
// Queue deduplicates: a key added many times before a worker takes it is handed out once, and a key
// is never handed to two workers at once — a key re-added while it is being processed is queued again
// only when the worker calls Done. DelayingQueue adds AddAfter, timed by an injected clock.Clock.
// RateLimitingQueue adds AddRateLimited, Forget and NumRequeues on top of a RateLimiter, of which the
// package offers a per-item exponential backoff, a token bucket, a max-of combinator and
// DefaultControllerRateLimiter.
//
// The usual worker loop:
//
//	for {
//		key, shutdown := q.Get()
//		if shutdown {
//			return
//		}
//		err := reconcile(ctx, key)
//		if err != nil {
//			q.AddRateLimited(key)
//		} else {
//			q.Forget(key)
//		}
//		q.Done(key)
//	}
package workqueue
