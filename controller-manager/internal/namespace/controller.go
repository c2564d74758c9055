package namespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// FinalizerKubernetes is the spec.finalizers entry the apiserver puts on every namespace and
// this controller removes once the namespace is empty.
const FinalizerKubernetes = "kubernetes"

// Backoff bounds between passes over a namespace whose content is not gone yet, as Kubernetes'
// namespace controller retries.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 60 * time.Second
)

// errContentRemaining makes the loop retry a namespace with backoff while content remains.
var errContentRemaining = errors.New("content remains in the namespace")

// Options configure the namespace controller. There are none yet; the type keeps the
// constructor's shape the same as every other controller's.
type Options struct{}

// Controller is the namespace controller. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client     *client.Client
	namespaces *informer.Informer[*corev1.Namespace]
	queue      workqueue.RateLimitingInterface[string]
	clk        clock.Clock
	rec        *events.Recorder
	lg         *zap.Logger
}

// New returns a namespace controller that learns of deleted namespaces from f's namespace
// informer and deletes their content through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, _ Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	ctl := &Controller{
		client:     c,
		namespaces: informer.For[*corev1.Namespace](f),
		queue: workqueue.NewRateLimiting(workqueue.NewItemExponentialFailureRateLimiter[string](minBackoff, maxBackoff),
			workqueue.WithClock(clk)),
		clk: clk,
		rec: rec,
		lg:  lg.Named("namespace"),
	}
	enqueue := func(ns *corev1.Namespace) {
		if ns.GetMetadata().GetDeletionTimestamp() != nil {
			ctl.queue.Add(ns.GetMetadata().GetName())
		}
	}
	ctl.namespaces.AddHandler(informer.Handler[*corev1.Namespace]{
		OnAdd:    enqueue,
		OnUpdate: func(_, ns *corev1.Namespace) { enqueue(ns) },
	})
	return ctl, nil
}

// Run reconciles deleted namespaces with workers goroutines until ctx ends. The caller starts the
// factory and waits for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting namespace controller", zap.Int("workers", workers))
	return controller.New("namespace", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile deletes the content of the deleted namespace key names and, once it is all gone,
// finalizes the namespace.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, ok := c.namespaces.Lister().Get("", key)
	if !ok || ns.GetMetadata().GetDeletionTimestamp() == nil || !slices.Contains(ns.GetSpec().GetFinalizers(), FinalizerKubernetes) {
		return controller.Result{}, nil
	}
	prog := c.deleteContent(ctx, key)
	if err := c.updateConditions(ctx, ns, prog); err != nil {
		return controller.Result{}, err
	}
	if !prog.done() {
		c.lg.Debug("namespace not empty yet", zap.String("namespace", key), zap.Any("remaining", prog.remaining),
			zap.Strings("failures", prog.failures))
		return controller.Result{}, fmt.Errorf("namespace %s: %w", key, errContentRemaining)
	}
	return controller.Result{}, c.finalize(ctx, key)
}

// deleteContent deletes every object of every namespaced kind in namespace and reports what is
// still there afterwards.
func (c *Controller) deleteContent(ctx context.Context, namespace string) progress {
	p := progress{remaining: map[string]int{}, finalizers: map[string]int{}}
	for _, k := range c.client.Scheme().Kinds() {
		if !k.Namespaced {
			continue
		}
		if err := c.deleteKind(ctx, k, namespace, &p); err != nil {
			p.failures = append(p.failures, err.Error())
		}
	}
	return p
}

// deleteKind deletes the objects of kind k in namespace and records those left in p.
func (c *Controller) deleteKind(ctx context.Context, k *scheme.Kind, namespace string, p *progress) error {
	r := client.ForKind(c.client, k, namespace)
	list, err := r.List(ctx, client.ListOptions{})
	if err != nil {
		return fmt.Errorf("list %s: %w", k.Resource, err)
	}
	if len(list.Items) == 0 {
		return nil
	}
	var errs []error
	for _, obj := range list.Items {
		m := obj.GetMetadata()
		if m.GetDeletionTimestamp() != nil {
			continue // already on its way; its finalizers or grace period decide when
		}
		err := r.Delete(ctx, m.GetName(), client.DeleteOptions{PropagationPolicy: client.DeleteBackground, PreconditionUID: m.GetUid()})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			errs = append(errs, fmt.Errorf("delete %s %s: %w", k.Resource, m.GetName(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	left, err := r.List(ctx, client.ListOptions{})
	if err != nil {
		return fmt.Errorf("list %s: %w", k.Resource, err)
	}
	if len(left.Items) > 0 {
		p.remaining[k.Resource+"."+k.Group] += len(left.Items)
	}
	for _, obj := range left.Items {
		for _, f := range obj.GetMetadata().GetFinalizers() {
			p.finalizers[f]++
		}
	}
	return nil
}

// updateConditions writes prog's conditions into the namespace's status when they differ.
func (c *Controller) updateConditions(ctx context.Context, ns *corev1.Namespace, prog progress) error {
	merged, changed := mergeConditions(ns.GetStatus().GetConditions(), prog.conditions(), c.clk.Now())
	if !changed {
		return nil
	}
	next := ns.CloneVT()
	if next.Status == nil {
		next.Status = &corev1.NamespaceStatus{}
	}
	next.Status.Conditions = merged
	_, err := c.client.Namespaces().UpdateStatus(ctx, next)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update status of namespace %s: %w", ns.GetMetadata().GetName(), err)
	}
	return nil
}

// finalize removes FinalizerKubernetes from the namespace's spec.finalizers through the finalize
// subresource, reading the namespace afresh so the write does not conflict with the status just
// written.
func (c *Controller) finalize(ctx context.Context, name string) error {
	ns, err := c.client.Namespaces().Get(ctx, name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get namespace %s: %w", name, err)
	}
	if !slices.Contains(ns.GetSpec().GetFinalizers(), FinalizerKubernetes) {
		return nil
	}
	ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f string) bool { return f == FinalizerKubernetes })
	if _, err := c.client.Namespaces().UpdateSubresource(ctx, ns, "finalize"); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("finalize namespace %s: %w", name, err)
	}
	c.lg.Info("namespace finalized", zap.String("namespace", name))
	return nil
}
