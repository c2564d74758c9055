package garbagecollector

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Backoff bounds of an object whose collection failed.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 1000 * time.Second
)

// Options configure the garbage collector. There are none yet; the type keeps the constructor's
// shape the same as every other controller's.
type Options struct{}

// Controller is the garbage collector. Create it with New and Run it.
type Controller struct {
	client    *client.Client
	informers *informer.Factory
	graph     *graph
	// queue holds the uids of objects to look at.
	queue workqueue.RateLimitingInterface[string]
	rec   *events.Recorder
	lg    *zap.Logger
}

// New returns a garbage collector that watches every kind through f and deletes through c. It
// asks f for its informers only in Run, once every other controller built on f has asked for
// its typed ones, so all of them share one watch per resource.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, _ Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Controller{
		client:    c,
		informers: f,
		graph:     newGraph(),
		queue: workqueue.NewRateLimiting(workqueue.NewItemExponentialFailureRateLimiter[string](minBackoff, maxBackoff),
			workqueue.WithClock(clk)),
		rec: rec,
		lg:  lg.Named("garbagecollector"),
	}, nil
}

// Run builds the graph from an informer of every kind, waits until they have synced, then
// collects with workers goroutines until ctx ends. The caller starts the factory. It returns
// once every worker has stopped; the informers stop with the factory.
func (c *Controller) Run(ctx context.Context, workers int) error {
	kinds := c.client.Scheme().Kinds()
	for _, k := range kinds {
		inf := informer.ForKind(c.informers, k)
		inf.AddObjectHandler(c.handler(k))
	}
	c.lg.Info("starting garbage collector", zap.Int("workers", workers), zap.Int("kinds", len(kinds)))
	for _, k := range kinds {
		if !informer.ForKind(c.informers, k).WaitForSync(ctx) {
			return nil // ctx ended
		}
	}
	// The informers have listed, but their handlers deliver on their own goroutines: wait until
	// the graph holds every listed object, so that no owner is orphaned or deleted while the graph
	// does not know all its dependents yet.
	if !c.waitForGraph(ctx, kinds) {
		return nil
	}
	c.lg.Info("garbage collector graph synced")
	return controller.New("garbagecollector", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// waitForGraph waits until the graph holds every object the informers of kinds hold, or ctx ends
// (false).
func (c *Controller) waitForGraph(ctx context.Context, kinds []*scheme.Kind) bool {
	complete := func() bool {
		for _, k := range kinds {
			for _, obj := range informer.ForKind(c.informers, k).ListObjects() {
				if _, ok := c.graph.get(obj.GetMetadata().GetUid()); !ok {
					return false
				}
			}
		}
		return true
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !complete() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}

// handler keeps the graph in step with kind k's informer and queues the objects a change may
// concern.
func (c *Controller) handler(k *scheme.Kind) informer.Handler[scheme.Object] {
	return informer.Handler[scheme.Object]{
		OnAdd: func(obj scheme.Object) {
			n := nodeOf(k, obj)
			c.changed(c.graph.put(n), n)
		},
		OnUpdate: func(_, obj scheme.Object) {
			n := nodeOf(k, obj)
			c.changed(c.graph.put(n), n)
		},
		OnDelete: func(obj scheme.Object) {
			n := c.graph.remove(obj.GetMetadata().GetUid())
			if n == nil {
				n = nodeOf(k, obj)
			}
			// Its dependents now dangle; an owner waiting for it may be done.
			for _, d := range c.graph.dependentsOf(n.uid) {
				c.queue.Add(d.uid)
			}
			c.queueWaitingOwners(n.owners)
		},
	}
}

// changed queues what a change of an object from old (nil when new) to n concerns: n itself
// when its owners or its deletion changed, and owners waiting for their dependents whose
// dependent changed.
func (c *Controller) changed(old, n *node) {
	relevant := old == nil || old.deleting != n.deleting || !slices.Equal(old.finalizers, n.finalizers) ||
		!sameOwners(old.owners, n.owners)
	if !relevant {
		return
	}
	if len(n.owners) > 0 || (n.deleting && (n.has(finalizerOrphan) || n.has(finalizerForeground))) {
		c.queue.Add(n.uid)
	}
	c.queueWaitingOwners(n.owners)
	if old != nil {
		c.queueWaitingOwners(old.owners)
	}
}

// queueWaitingOwners queues those of refs' owners that wait, in a foreground deletion, for their
// dependents.
func (c *Controller) queueWaitingOwners(refs []*metav1.OwnerReference) {
	for _, r := range refs {
		if o, ok := c.graph.get(r.GetUid()); ok && o.deletingDependents() {
			c.queue.Add(o.uid)
		}
	}
}

// sameOwners reports whether a and b reference the same owners with the same blocking.
func sameOwners(a, b []*metav1.OwnerReference) bool {
	return slices.EqualFunc(a, b, func(x, y *metav1.OwnerReference) bool {
		return x.GetUid() == y.GetUid() && x.GetBlockOwnerDeletion() == y.GetBlockOwnerDeletion()
	})
}

// reconcile looks at the object with uid key and does what its state asks: finish an orphaning
// or a foreground deletion it is going through, or delete it when its owners are gone.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	n, ok := c.graph.get(key)
	if !ok {
		return controller.Result{}, nil
	}
	var err error
	switch {
	case n.deleting && n.has(finalizerOrphan):
		err = c.orphanDependents(ctx, n)
	case n.deletingDependents():
		err = c.deleteDependents(ctx, n)
	case n.deleting || len(n.owners) == 0:
	default:
		err = c.attemptToDelete(ctx, n)
	}
	if err != nil {
		return controller.Result{}, fmt.Errorf("%s %s: %w", n.kind.Resource, objectName(n), err)
	}
	return controller.Result{}, nil
}

// objectName is "namespace/name", or "name" for a cluster-scoped object.
func objectName(n *node) string {
	if n.namespace == "" {
		return n.name
	}
	return n.namespace + "/" + n.name
}
