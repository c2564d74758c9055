package deployment

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Recorder records events about Deployments; *events.Recorder is one.
type Recorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Options configure the controller. There are none yet; the type keeps the constructor's shape
// the same as every other controller's.
type Options struct{}

// Controller is the Deployment controller. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client      *client.Client
	deployments *informer.Informer[*appsv1.Deployment]
	rss         *informer.Informer[*appsv1.ReplicaSet]
	pods        *informer.Informer[*corev1.Pod]
	queue       workqueue.RateLimitingInterface[string]
	rec         Recorder
	clock       clock.Clock
	lg          *zap.Logger
}

// New returns a Deployment controller that reads Deployments, ReplicaSets and pods from f's
// informers (registering them and its handlers on f) and writes through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec Recorder, clk clock.Clock, lg *zap.Logger, _ Options) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	ctl := &Controller{
		client:      c,
		deployments: informer.For[*appsv1.Deployment](f),
		rss:         informer.For[*appsv1.ReplicaSet](f),
		pods:        informer.For[*corev1.Pod](f),
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		rec:   rec,
		clock: clk,
		lg:    lg.Named("deployment"),
	}
	ctl.deployments.AddHandler(controller.Enqueue[*appsv1.Deployment](ctl.queue))
	ctl.rss.AddHandler(informer.Handler[*appsv1.ReplicaSet]{
		OnAdd:    func(rs *appsv1.ReplicaSet) { ctl.enqueueOwnerOf(rs) },
		OnUpdate: func(old, cur *appsv1.ReplicaSet) { ctl.enqueueOwnerOf(old); ctl.enqueueOwnerOf(cur) },
		OnDelete: func(rs *appsv1.ReplicaSet) { ctl.enqueueOwnerOf(rs) },
	})
	// A Recreate rollout waits for the old pods to be gone: their going must wake it.
	ctl.pods.AddHandler(informer.Handler[*corev1.Pod]{
		OnUpdate: func(_, cur *corev1.Pod) { ctl.enqueueRecreateOf(cur) },
		OnDelete: ctl.enqueueRecreateOf,
	})
	return ctl, nil
}

// Run reconciles Deployments with workers goroutines until ctx ends. The caller starts the
// factory and waits for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting deployment controller", zap.Int("workers", workers))
	return controller.New("deployment", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// enqueueOwnerOf queues the Deployment controlling rs or, for an orphan, every Deployment of
// its namespace whose selector matches it: one of them may adopt it.
func (c *Controller) enqueueOwnerOf(rs *appsv1.ReplicaSet) {
	m := rs.GetMetadata()
	if ref := controllerRef(m); ref != nil {
		if ref.GetKind() == "Deployment" {
			c.queue.Add(m.GetNamespace() + "/" + ref.GetName())
		}
		return
	}
	set := labels.Set(m.GetLabels())
	for _, d := range c.deployments.Lister().ListNamespace(m.GetNamespace()) {
		sel, err := labels.FromLabelSelector(d.GetSpec().GetSelector())
		if err == nil && !sel.Empty() && sel.Matches(set) {
			c.queue.Add(scheme.Key(d))
		}
	}
}

// enqueueRecreateOf queues the Recreate Deployment whose ReplicaSet controls pod.
func (c *Controller) enqueueRecreateOf(pod *corev1.Pod) {
	m := pod.GetMetadata()
	ref := controllerRef(m)
	if ref == nil || ref.GetKind() != "ReplicaSet" {
		return
	}
	rs, ok := c.rss.Lister().Get(m.GetNamespace(), ref.GetName())
	if !ok {
		return
	}
	dref := controllerRef(rs.GetMetadata())
	if dref == nil || dref.GetKind() != "Deployment" {
		return
	}
	if d, ok := c.deployments.Lister().Get(m.GetNamespace(), dref.GetName()); ok && !isRolling(d) {
		c.queue.Add(scheme.Key(d))
	}
}

// reconcile brings the Deployment key names one step closer to its template and replicas.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued
	}
	cached, ok := c.deployments.Lister().Get(ns, name)
	if !ok {
		return controller.Result{}, nil
	}
	d := cached.CloneVT()
	sel, err := labels.FromLabelSelector(d.GetSpec().GetSelector())
	if err == nil && sel.Empty() {
		err = fmt.Errorf("spec.selector: empty; a non-empty selector is required")
	}
	if err == nil {
		_, _, err = fenceposts(d)
	}
	if err != nil {
		// Retrying cannot fix the spec; an update requeues it.
		c.rec.Eventf(d, events.TypeWarning, "InvalidSpec", "Deployment cannot be rolled out: %v", err)
		return controller.Result{}, nil
	}
	rss, err := c.claimReplicaSets(ctx, d, sel)
	if err != nil {
		return controller.Result{}, err
	}
	if d.GetMetadata().GetDeletionTimestamp() != nil {
		return controller.Result{}, c.syncStatusOnly(ctx, d, rss)
	}
	if d, err = c.checkPaused(ctx, d); err != nil {
		return controller.Result{}, err
	}
	if d.GetSpec().GetPaused() || isScalingEvent(d, rss) {
		return controller.Result{}, c.sync(ctx, d, rss)
	}
	if isRolling(d) {
		return c.rolloutRolling(ctx, d, rss)
	}
	return c.rolloutRecreate(ctx, d, rss)
}

// updateDeployment writes d's metadata and spec, keeping d's status (which the write ignores)
// on the object it returns.
func (c *Controller) updateDeployment(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	st := d.GetStatus()
	out, err := c.client.Deployments(d.GetMetadata().GetNamespace()).Update(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("update deployment %s: %w", scheme.Key(d), err)
	}
	out.Status = st
	return out, nil
}

// updateStatus writes d's status.
func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	out, err := c.client.Deployments(d.GetMetadata().GetNamespace()).UpdateStatus(ctx, d)
	if apierrors.IsNotFound(err) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("update status of deployment %s: %w", scheme.Key(d), err)
	}
	return out, nil
}
