package controller

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/workqueue"
)

// Result tells the loop what to do with a key reconciled without error.
type Result struct {
	// RequeueAfter, when positive, reconciles the key again after that long on the queue's clock.
	RequeueAfter time.Duration
}

// ReconcileFunc brings the object named by key to its desired state. It must be idempotent and
// read the state it acts on (never an event's payload alone); an error retries the key with
// backoff. ctx ends when the controller stops.
type ReconcileFunc func(ctx context.Context, key string) (Result, error)

// Option configures a Controller.
type Option func(*Controller)

// WithLogger sets the logger reconcile errors go to (default: none).
func WithLogger(lg *zap.Logger) Option {
	return func(c *Controller) { c.lg = lg }
}

// Controller runs a reconcile loop over a work queue. Create it with New and run it once with
// Run.
type Controller struct {
	name      string
	queue     workqueue.RateLimitingInterface[string]
	reconcile ReconcileFunc
	workers   int
	lg        *zap.Logger
}

// New returns a controller named name (for its logs) that reconciles the keys of queue with
// reconcile in workers goroutines (at least one). The controller owns the queue from Run on: Run
// shuts it down.
func New(name string, queue workqueue.RateLimitingInterface[string], reconcile ReconcileFunc, workers int, opts ...Option) *Controller {
	c := &Controller{name: name, queue: queue, reconcile: reconcile, workers: max(workers, 1), lg: zap.NewNop()}
	for _, o := range opts {
		o(c)
	}
	c.lg = c.lg.With(zap.String("controller", name))
	return c
}

// Run reconciles keys until ctx ends. Shutdown: it shuts the queue down (keys still queued or
// waiting for a delay are dropped), lets each worker finish the reconcile in hand (whose ctx has
// ended), and returns nil once all workers have returned.
func (c *Controller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.processNext(ctx) {
			}
		}()
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

// processNext reconciles one key; false once the queue is shut down.
func (c *Controller) processNext(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	res, err := c.reconcile(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		c.lg.Debug("reconcile failed; retrying after backoff", zap.String("key", key),
			zap.Int("retries", c.queue.NumRequeues(key)), zap.Error(err))
		c.queue.AddRateLimited(key)
	case err != nil:
		// Stopping: the error is likely ctx's own, and the queue drops the key anyway.
		if !errors.Is(err, context.Canceled) {
			c.lg.Debug("reconcile failed while stopping", zap.String("key", key), zap.Error(err))
		}
	case res.RequeueAfter > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, res.RequeueAfter)
	default:
		c.queue.Forget(key)
	}
	return true
}
