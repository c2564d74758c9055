package statefulset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
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
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Name is the controller's name for --controllers, as kube-controller-manager names it.
const Name = "statefulset"

// Recorder records events about stateful sets; *events.Recorder is one.
type Recorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Config is what a Controller is built from.
type Config struct {
	Client    *client.Client
	Informers *informer.Factory
	Recorder  Recorder
	// Workers is how many stateful sets are reconciled at once (at least one).
	Workers int
	// Clock times availability and requeues (default: the real clock).
	Clock  clock.Clock
	Logger *zap.Logger
}

// Controller keeps stateful sets at their replicas and templates. Build it with New, before the
// informer factory starts; Run it once.
type Controller struct {
	client    *client.Client
	sets      *informer.Informer[*appsv1.StatefulSet]
	pods      *informer.Informer[*corev1.Pod]
	revisions *informer.Informer[*appsv1.ControllerRevision]
	queue     workqueue.RateLimitingInterface[string]
	recorder  Recorder
	clock     clock.Clock
	lg        *zap.Logger
	loop      *controller.Controller
}

// New builds a controller and adds its handlers to the stateful set, pod and controller revision
// informers of cfg.Informers. It starts nothing.
func New(cfg Config) *Controller {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	c := &Controller{
		client:    cfg.Client,
		sets:      informer.For[*appsv1.StatefulSet](cfg.Informers),
		pods:      informer.For[*corev1.Pod](cfg.Informers),
		revisions: informer.For[*appsv1.ControllerRevision](cfg.Informers),
		queue:     workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(cfg.Clock)), workqueue.WithClock(cfg.Clock)),
		recorder:  cfg.Recorder,
		clock:     cfg.Clock,
		lg:        cfg.Logger,
	}
	c.loop = controller.New("StatefulSet", c.queue, c.reconcile, cfg.Workers, controller.WithLogger(cfg.Logger))
	c.sets.AddHandler(controller.Enqueue[*appsv1.StatefulSet](c.queue))
	c.pods.AddHandler(informer.Handler[*corev1.Pod]{
		OnAdd:    c.podChanged,
		OnUpdate: func(old, cur *corev1.Pod) { c.podChanged(old); c.podChanged(cur) },
		OnDelete: c.podChanged,
	})
	c.revisions.AddHandler(informer.Handler[*appsv1.ControllerRevision]{
		OnAdd:    c.revisionChanged,
		OnDelete: c.revisionChanged,
	})
	return c
}

// Run reconciles until ctx ends; see controller.Controller.Run for the shutdown. Call it once
// the informers have synced.
func (c *Controller) Run(ctx context.Context) error { return c.loop.Run(ctx) }

// podChanged queues the set that controls pod, or, for an orphan, every set of its namespace
// whose pods it could be.
func (c *Controller) podChanged(pod *corev1.Pod) {
	m := pod.GetMetadata()
	if ref := controllerRef(m); ref != nil {
		if ref.GetKind() == "StatefulSet" {
			c.queue.Add(m.GetNamespace() + "/" + ref.GetName())
		}
		return
	}
	parent, _, ok := parseName(m.GetName())
	if !ok {
		return
	}
	if set, ok := c.sets.Lister().Get(m.GetNamespace(), parent); ok {
		c.queue.Add(scheme.Key(set))
	}
}

// revisionChanged queues the set owning a revision: a revision deleted under it must be written
// again.
func (c *Controller) revisionChanged(cr *appsv1.ControllerRevision) {
	if ref := controllerRef(cr.GetMetadata()); ref != nil && ref.GetKind() == "StatefulSet" {
		c.queue.Add(cr.GetMetadata().GetNamespace() + "/" + ref.GetName())
	}
}

// reconcile brings the set named by key to its replicas and template and writes its status.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued
	}
	set, ok := c.sets.Lister().Get(ns, name)
	if !ok {
		return controller.Result{}, nil
	}
	sel, err := labels.FromLabelSelector(set.GetSpec().GetSelector())
	if err != nil {
		c.recorder.Eventf(set, events.TypeWarning, "InvalidSelector", "Invalid selector: %v", err)
		return controller.Result{}, nil // an update requeues it
	}
	pods, err := c.claimPods(ctx, set, sel)
	if err != nil {
		return controller.Result{}, err
	}
	revs, err := c.revisionsOf(ctx, set)
	if err != nil {
		if revs != nil && revs.collisionCount != set.GetStatus().GetCollisionCount() {
			// A hash collision: keep the count, so that the next attempt names the revision anew.
			st := set.GetStatus().CloneVT()
			if st == nil {
				st = &appsv1.StatefulSetStatus{}
			}
			st.CollisionCount = &revs.collisionCount
			err = errors.Join(err, c.updateStatus(ctx, set, st))
		}
		return controller.Result{}, err
	}
	if set.GetMetadata().GetDeletionTimestamp() != nil {
		// Being deleted: the garbage collector removes the pods; only report them.
		st := c.status(set, revs, pods)
		return controller.Result{}, c.updateStatus(ctx, set, st)
	}
	syncErr := c.sync(ctx, set, revs, pods)
	st := c.status(set, revs, c.podsOf(set, sel))
	if err := c.updateStatus(ctx, set, st); err != nil {
		return controller.Result{}, errors.Join(syncErr, err)
	}
	if syncErr != nil {
		return controller.Result{}, syncErr
	}
	if err := c.truncateHistory(ctx, set, revs, st.GetCurrentRevision(), pods); err != nil {
		return controller.Result{}, err
	}
	if mr := set.GetSpec().GetMinReadySeconds(); mr > 0 && st.GetReadyReplicas() > st.GetAvailableReplicas() {
		return controller.Result{RequeueAfter: time.Duration(mr) * time.Second}, nil
	}
	return controller.Result{}, nil
}

// podsOf returns the active pods the cache holds for set now: those the set controls.
func (c *Controller) podsOf(set *appsv1.StatefulSet, sel labels.Selector) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range c.pods.Lister().ListNamespace(set.GetMetadata().GetNamespace()) {
		if ref := controllerRef(p.GetMetadata()); ref != nil && ref.GetUid() == set.GetMetadata().GetUid() &&
			sel.Matches(labels.Set(p.GetMetadata().GetLabels())) {
			out = append(out, p)
		}
	}
	return out
}

// updateStatus writes st unless the set already says it; a Conflict is retried once on the
// latest set.
func (c *Controller) updateStatus(ctx context.Context, set *appsv1.StatefulSet, st *appsv1.StatefulSetStatus) error {
	if proto.Equal(set.GetStatus(), st) {
		return nil
	}
	err := controller.UpdateStatus(ctx, c.client.StatefulSets(set.GetMetadata().GetNamespace()), set, func(base *appsv1.StatefulSet) *appsv1.StatefulSet {
		next := base.CloneVT()
		next.Status = st.CloneVT()
		next.Status.ObservedGeneration = min(st.ObservedGeneration, base.GetMetadata().GetGeneration())
		return next
	})
	if err != nil {
		return fmt.Errorf("update status of stateful set %s: %w", scheme.Key(set), err)
	}
	return nil
}

// controllerRef returns the ownerReference of m that has controller set, or nil.
func controllerRef(m *metav1.ObjectMeta) *metav1.OwnerReference { return podclaim.ControllerRef(m) }

// ownerReference returns the controller reference the set's pods and revisions carry.
func ownerReference(set *appsv1.StatefulSet) *metav1.OwnerReference {
	return podclaim.OwnerReference(set, "apps/v1", "StatefulSet")
}
