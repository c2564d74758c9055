package workqueue_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/workqueue"
)

// A controller's worker: reconcile each key, retry failures with backoff, forget successes. The fake
// clock makes the backoff visible without waiting.
func Example() {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	q := workqueue.NewRateLimiting(
		workqueue.NewItemExponentialFailureRateLimiter[string](time.Second, time.Minute),
		workqueue.WithClock(fc),
	)
	defer q.ShutDown()

	failures := map[string]int{"default/web": 2}
	reconcile := func(key string) error {
		if failures[key] > 0 {
			failures[key]--
			return errors.New("not yet")
		}
		return nil
	}
	processOne := func() {
		key, shutdown := q.Get()
		if shutdown {
			return
		}
		defer q.Done(key)
		if err := reconcile(key); err != nil {
			q.AddRateLimited(key)
			fmt.Printf("%s failed (%d retries so far)\n", key, q.NumRequeues(key))
			return
		}
		q.Forget(key)
		fmt.Printf("%s reconciled\n", key)
	}

	q.Add("default/web")
	q.Add("default/web") // deduplicated
	processOne()
	fc.Step(time.Second) // the first retry waits 1s
	processOne()
	fc.Step(2 * time.Second) // the second waits 2s
	processOne()
	fmt.Println("queued:", q.Len())
	// Output:
	// default/web failed (1 retries so far)
	// default/web failed (2 retries so far)
	// default/web reconciled
	// queued: 0
}
