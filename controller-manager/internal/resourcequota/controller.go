package resourcequota

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/quota"
	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// DefaultSyncPeriod is kube-controller-manager's --resource-quota-sync-period.
const DefaultSyncPeriod = 5 * time.Minute

// Backoff bounds of a quota whose recount failed.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = 1000 * time.Second
)

// Options configure the controller.
type Options struct {
	// SyncPeriod is how often every quota is recounted (DefaultSyncPeriod when 0).
	SyncPeriod time.Duration
}

// lister returns the objects of one kind in a namespace from an informer's cache.
type lister func(namespace string) []scheme.Object

// Controller is the resource quota controller. Create it with New, then Run it once its factory
// has synced.
type Controller struct {
	client *client.Client
	quotas *informer.Informer[*corev1.ResourceQuota]
	// listers count the kinds the controller watches from cache; other kinds a count/ name
	// asks for are listed from the API at each recount.
	listers map[scheme.GroupVersionResource]lister
	queue   workqueue.RateLimitingInterface[string]
	period  time.Duration
	clk     clock.Clock
	rec     *events.Recorder
	lg      *zap.Logger
}

// New returns a resource quota controller reading quotas and the objects they count from f's
// informers and writing status through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if opts.SyncPeriod <= 0 {
		opts.SyncPeriod = DefaultSyncPeriod
	}
	ctl := &Controller{
		client:  c,
		quotas:  informer.For[*corev1.ResourceQuota](f),
		listers: map[scheme.GroupVersionResource]lister{},
		queue: workqueue.NewRateLimiting(workqueue.NewItemExponentialFailureRateLimiter[string](minBackoff, maxBackoff),
			workqueue.WithClock(clk)),
		period: opts.SyncPeriod,
		clk:    clk,
		rec:    rec,
		lg:     lg.Named("resourcequota"),
	}
	ctl.quotas.AddHandler(informer.Handler[*corev1.ResourceQuota]{
		OnAdd: ctl.enqueue,
		OnUpdate: func(old, cur *corev1.ResourceQuota) {
			if !maps.Equal(old.GetSpec().GetHard(), cur.GetSpec().GetHard()) || needsCount(cur) {
				ctl.enqueue(cur)
			}
		},
	})
	watch(ctl, informer.For[*corev1.Pod](f), podReleased)
	watch(ctl, informer.For[*corev1.Service](f), serviceReleased)
	watch(ctl, informer.For[*corev1.ConfigMap](f), nil)
	watch(ctl, informer.For[*corev1.Secret](f), nil)
	watch(ctl, informer.For[*corev1.ReplicationController](f), nil)
	return ctl, nil
}

// watch makes inf a counted kind: its cache serves recounts, and a deletion, or an update that
// released says gives usage back, recounts the quotas of the object's namespace.
func watch[T scheme.Object](ctl *Controller, inf *informer.Informer[T], released func(old, cur T) bool) {
	k := client.For[T](ctl.client, "").Kind()
	ctl.listers[k.GVR()] = func(namespace string) []scheme.Object {
		items := inf.Lister().ListNamespace(namespace)
		out := make([]scheme.Object, len(items))
		for i, o := range items {
			out[i] = o
		}
		return out
	}
	h := informer.Handler[T]{OnDelete: func(obj T) { ctl.enqueueNamespace(obj.GetMetadata().GetNamespace()) }}
	if released != nil {
		h.OnUpdate = func(old, cur T) {
			if released(old, cur) {
				ctl.enqueueNamespace(cur.GetMetadata().GetNamespace())
			}
		}
	}
	inf.AddHandler(h)
}

// podReleased reports whether a pod's update gives usage back: it finished.
func podReleased(old, cur *corev1.Pod) bool { return !quota.Terminal(old) && quota.Terminal(cur) }

// serviceReleased reports whether a service's update changes what it counts: its type.
func serviceReleased(old, cur *corev1.Service) bool {
	return old.GetSpec().GetType() != cur.GetSpec().GetType() || len(old.GetSpec().GetPorts()) != len(cur.GetSpec().GetPorts())
}

// needsCount reports whether q's status does not yet cover its spec: a hard limit without a
// status.hard or status.used entry.
func needsCount(q *corev1.ResourceQuota) bool {
	if !maps.Equal(q.GetSpec().GetHard(), q.GetStatus().GetHard()) {
		return true
	}
	for name := range q.GetSpec().GetHard() {
		if _, ok := q.GetStatus().GetUsed()[name]; !ok {
			return true
		}
	}
	return false
}

func (c *Controller) enqueue(q *corev1.ResourceQuota) {
	c.queue.Add(q.GetMetadata().GetNamespace() + "/" + q.GetMetadata().GetName())
}

// enqueueNamespace recounts every quota of namespace.
func (c *Controller) enqueueNamespace(namespace string) {
	for _, q := range c.quotas.Lister().ListNamespace(namespace) {
		c.enqueue(q)
	}
}

// Run recounts quotas with workers goroutines until ctx ends, and every quota each sync period.
// The caller starts the factory and waits for it to sync first. It returns once the workers and
// the resync loop have stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting resource quota controller", zap.Int("workers", workers), zap.Duration("syncPeriod", c.period))
	resynced := make(chan struct{})
	go func() {
		defer close(resynced)
		c.resyncLoop(ctx)
	}()
	err := controller.New("resourcequota", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
	<-resynced
	return err
}

// resyncLoop enqueues every quota each sync period until ctx ends.
func (c *Controller) resyncLoop(ctx context.Context) {
	t := c.clk.NewTicker(c.period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			for _, q := range c.quotas.Lister().List() {
				c.enqueue(q)
			}
		}
	}
}

// reconcile recounts the quota key names and writes its status when it changed. The write is
// guarded on the resourceVersion read, so a charge admission made meanwhile makes it conflict:
// then the quota is read afresh and recounted at once, a few times, rather than after the
// queue's backoff, and never erasing the charge.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	namespace, name, _ := strings.Cut(key, "/")
	q, ok := c.quotas.Lister().Get(namespace, name)
	if !ok {
		return controller.Result{}, nil
	}
	const attempts = 3
	var err error
	for range attempts {
		err = c.recount(ctx, key, q)
		if !apierrors.IsConflict(err) {
			break
		}
		q, err = c.client.ResourceQuotas(namespace).Get(ctx, name)
		if apierrors.IsNotFound(err) {
			return controller.Result{}, nil
		}
		if err != nil {
			break
		}
		err = fmt.Errorf("update status of quota %s: still conflicting after %d attempts", key, attempts)
	}
	return controller.Result{}, err
}

// recount counts q's usage and writes it when it differs from q's status.
func (c *Controller) recount(ctx context.Context, key string, q *corev1.ResourceQuota) error {
	if q.GetMetadata().GetDeletionTimestamp() != nil {
		return nil
	}
	hard, err := resource.ParseList(q.GetSpec().GetHard())
	if err != nil {
		return nil // validation refuses such a quota; nothing to count against
	}
	used, err := c.count(ctx, q.GetMetadata().GetNamespace(), hard)
	if err != nil {
		return fmt.Errorf("count usage of quota %s: %w", key, err)
	}
	status := &corev1.ResourceQuotaStatus{Hard: maps.Clone(q.GetSpec().GetHard()), Used: used.Strings()}
	if maps.Equal(status.Hard, q.GetStatus().GetHard()) && equalQuantities(used, q.GetStatus().GetUsed()) {
		return nil
	}
	next := q.CloneVT()
	next.Status = status
	_, err = c.client.ResourceQuotas(q.GetMetadata().GetNamespace()).UpdateStatus(ctx, next)
	switch {
	case apierrors.IsConflict(err):
		return err
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("update status of quota %s: %w", key, err)
	}
	c.lg.Debug("quota recounted", zap.String("quota", key), zap.Any("used", status.Used))
	return nil
}

// equalQuantities reports whether l and the stored map hold the same quantities, whatever
// their spelling.
func equalQuantities(l resource.List, stored map[string]string) bool {
	if len(l) != len(stored) {
		return false
	}
	s, err := resource.ParseList(stored)
	if err != nil {
		return false
	}
	for name, q := range l {
		got, ok := s[name]
		if !ok || !got.Equal(q) {
			return false
		}
	}
	return true
}
