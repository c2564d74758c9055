package endpoints

import (
	"context"
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Annotation and label keys the controller writes, as Kubernetes names them.
const (
	// TriggerTimeAnnotation records when the newest change the Endpoints reflect happened.
	TriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"
	// HeadlessLabel marks the Endpoints of a headless service.
	HeadlessLabel = "service.kubernetes.io/headless"
	// leaderAnnotation marks Endpoints used as a leader-election lock, which have no service and
	// are not this controller's to delete.
	leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"
)

// Options configure the controller. There are none yet; the type keeps the constructor's shape
// the same as every other controller's.
type Options struct{}

// Controller is the endpoints controller. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client    *client.Client
	services  *informer.Informer[*corev1.Service]
	pods      *informer.Informer[*corev1.Pod]
	endpoints *informer.Informer[*corev1.Endpoints]
	index     *selectorIndex
	queue     workqueue.RateLimitingInterface[string]
	rec       *events.Recorder
	lg        *zap.Logger
}

// New returns an endpoints controller that reads services, pods and endpoints from f's informers
// (registering them and its handlers on f) and writes through c. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, _ Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	ctl := &Controller{
		client:    c,
		services:  informer.For[*corev1.Service](f),
		pods:      informer.For[*corev1.Pod](f),
		endpoints: informer.For[*corev1.Endpoints](f),
		index:     newSelectorIndex(),
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		rec: rec,
		lg:  lg.Named("endpoints"),
	}
	ctl.services.AddHandler(informer.Handler[*corev1.Service]{
		OnAdd:    func(s *corev1.Service) { ctl.index.set(s); ctl.queue.Add(scheme.Key(s)) },
		OnUpdate: func(_, s *corev1.Service) { ctl.index.set(s); ctl.queue.Add(scheme.Key(s)) },
		OnDelete: func(s *corev1.Service) { ctl.index.remove(s); ctl.queue.Add(scheme.Key(s)) },
	})
	ctl.pods.AddHandler(informer.Handler[*corev1.Pod]{
		OnAdd:    func(p *corev1.Pod) { ctl.enqueueServicesOf(p) },
		OnUpdate: func(old, cur *corev1.Pod) { ctl.enqueueServicesOf(old, cur) },
		OnDelete: func(p *corev1.Pod) { ctl.enqueueServicesOf(p) },
	})
	// Every Endpoints object is checked once when first seen, so those whose service went away
	// while no controller ran are deleted; a deleted one of a live service is written again.
	ctl.endpoints.AddHandler(informer.Handler[*corev1.Endpoints]{
		OnAdd: func(e *corev1.Endpoints) {
			if _, leaderLock := e.GetMetadata().GetAnnotations()[leaderAnnotation]; !leaderLock {
				ctl.queue.Add(scheme.Key(e))
			}
		},
		OnDelete: func(e *corev1.Endpoints) { ctl.queue.Add(scheme.Key(e)) },
	})
	return ctl, nil
}

// enqueueServicesOf queues every service whose selector matches any of pods' labels (a pod's old
// and new labels on an update, so a service that stops selecting it drops it).
func (c *Controller) enqueueServicesOf(pods ...*corev1.Pod) {
	keys := map[string]struct{}{}
	for _, p := range pods {
		c.index.services(p.GetMetadata().GetNamespace(), p.GetMetadata().GetLabels(), keys)
	}
	for k := range keys {
		c.queue.Add(k)
	}
}

// Run reconciles services with workers goroutines until ctx ends. The caller starts the factory
// and waits for it to sync first. It returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting endpoints controller", zap.Int("workers", workers))
	return controller.New("endpoints", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// reconcile brings the Endpoints of the service key names in line with its pods.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued
	}
	svc, ok := c.services.Lister().Get(ns, name)
	if !ok {
		if _, has := c.endpoints.Lister().Get(ns, name); !has {
			return controller.Result{}, nil
		}
		if err := c.client.Endpoints(ns).Delete(ctx, name); err != nil && !apierrors.IsNotFound(err) {
			return controller.Result{}, fmt.Errorf("delete endpoints %s: %w", key, err)
		}
		return controller.Result{}, nil
	}
	if svc.GetSpec().GetSelector() == nil {
		return controller.Result{}, nil // endpoints of a service without a selector are the user's
	}
	sel := labels.SelectorFromSet(labels.Set(svc.GetSpec().GetSelector()))
	var pods []*corev1.Pod
	for _, p := range c.pods.Lister().ListNamespace(ns) {
		if sel.Matches(labels.Set(p.GetMetadata().GetLabels())) {
			pods = append(pods, p)
		}
	}
	want := compute(svc, pods)
	wantLabels := endpointsLabels(svc)

	cur, exists := c.endpoints.Lister().Get(ns, name)
	if exists && subsetsEqual(cur.GetSubsets(), want.subsets) && maps.Equal(cur.GetMetadata().GetLabels(), wantLabels) {
		return controller.Result{}, nil
	}
	var next *corev1.Endpoints
	if exists {
		next = cur.CloneVT()
	} else {
		next = &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Name: name, Namespace: ns}}
	}
	next.Subsets = want.subsets
	next.Metadata.Labels = wantLabels
	if next.Metadata.Annotations == nil {
		next.Metadata.Annotations = map[string]string{}
	}
	if want.triggerTime.IsZero() {
		delete(next.Metadata.Annotations, TriggerTimeAnnotation)
	} else {
		next.Metadata.Annotations[TriggerTimeAnnotation] = want.triggerTime.UTC().Format(time.RFC3339Nano)
	}
	if exists {
		_, err = c.client.Endpoints(ns).Update(ctx, next)
	} else {
		_, err = c.client.Endpoints(ns).Create(ctx, next)
	}
	switch {
	case err == nil:
		return controller.Result{}, nil
	case apierrors.IsNotFound(err) || apierrors.IsForbidden(err):
		// The namespace is gone or terminating: the Endpoints go with it.
		return controller.Result{}, nil
	default:
		if c.rec != nil {
			c.rec.Eventf(svc, events.TypeWarning, "FailedToUpdateEndpoint", "Failed to update endpoint %s: %v", key, err)
		}
		return controller.Result{}, fmt.Errorf("write endpoints %s: %w", key, err)
	}
}

// endpointsLabels are the labels of svc's Endpoints: the service's own, plus the headless mark.
func endpointsLabels(svc *corev1.Service) map[string]string {
	out := maps.Clone(svc.GetMetadata().GetLabels())
	if svc.GetSpec().GetClusterIp() == "None" {
		if out == nil {
			out = map[string]string{}
		}
		out[HeadlessLabel] = ""
	}
	return out
}

func subsetsEqual(a, b []*corev1.EndpointSubset) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
