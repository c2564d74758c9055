package replicaset

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// BurstReplicas caps the pods one reconcile creates or deletes, as in Kubernetes: a larger change
// converges over several reconciles, each waiting for the informer to see the last one's writes.
const BurstReplicas = 500

// Recorder records events about workloads; *events.Recorder is one.
type Recorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Config is what a Controller is built from.
type Config[T scheme.Object] struct {
	Kind      Kind[T]
	Client    *client.Client
	Informers *informer.Factory
	Recorder  Recorder
	// Workers is how many workloads are reconciled at once (at least one).
	Workers int
	// Clock times expectations, availability and requeues (default: the real clock).
	Clock  clock.Clock
	Logger *zap.Logger
}

// Controller keeps the workloads of one kind at their replicas. Build it with New, before the
// informer factory starts; Run it once.
type Controller[T scheme.Object] struct {
	kind         Kind[T]
	client       *client.Client
	owners       *informer.Informer[T]
	pods         *informer.Informer[*corev1.Pod]
	queue        workqueue.RateLimitingInterface[string]
	expectations *controller.Expectations
	recorder     Recorder
	clock        clock.Clock
	lg           *zap.Logger
	loop         *controller.Controller
}

// New builds a controller and adds its handlers to the workload and pod informers of
// cfg.Informers. It starts nothing.
func New[T scheme.Object](cfg Config[T]) *Controller[T] {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	c := &Controller[T]{
		kind:         cfg.Kind,
		client:       cfg.Client,
		owners:       informer.For[T](cfg.Informers),
		pods:         informer.For[*corev1.Pod](cfg.Informers),
		queue:        workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(cfg.Clock)), workqueue.WithClock(cfg.Clock)),
		expectations: controller.NewExpectations(cfg.Clock, 0),
		recorder:     cfg.Recorder,
		clock:        cfg.Clock,
		lg:           cfg.Logger,
	}
	c.loop = controller.New(cfg.Kind.Kind, c.queue, c.reconcile, cfg.Workers, controller.WithLogger(cfg.Logger))
	c.owners.AddHandler(controller.Enqueue[T](c.queue))
	c.pods.AddHandler(informer.Handler[*corev1.Pod]{OnAdd: c.podAdded, OnUpdate: c.podUpdated, OnDelete: c.podDeleted})
	return c
}

// Run reconciles until ctx ends; see controller.Controller.Run for the shutdown. Call it once
// the informers have synced.
func (c *Controller[T]) Run(ctx context.Context) error { return c.loop.Run(ctx) }

// reconcile brings the workload named by key to its replicas and writes its status.
func (c *Controller[T]) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued: nothing to retry
	}
	owner, ok := c.owners.Lister().Get(ns, name)
	if !ok {
		c.expectations.Delete(key)
		return controller.Result{}, nil
	}
	spec, err := c.kind.Spec(owner)
	if err != nil {
		c.recorder.Eventf(owner, events.TypeWarning, "InvalidSelector", "Invalid selector: %v", err)
		return controller.Result{}, nil // retrying cannot fix the spec; an update requeues it
	}
	// Read the expectations before the pods: once they are met, the pod cache holds every
	// write they counted, because the informer stores an object before it notifies.
	satisfied := c.expectations.Satisfied(key)
	pods, err := c.claimPods(ctx, owner, spec)
	if err != nil {
		return controller.Result{}, err
	}
	var manageErr error
	if satisfied && owner.GetMetadata().GetDeletionTimestamp() == nil {
		manageErr = c.manage(ctx, key, owner, spec, pods)
	}
	st := c.computeStatus(owner, spec, pods, manageErr)
	if err := c.updateStatus(ctx, owner, st); err != nil {
		return controller.Result{}, errors.Join(manageErr, err)
	}
	if manageErr != nil {
		return controller.Result{}, manageErr
	}
	if spec.MinReadySeconds > 0 && st.GetReadyReplicas() > st.GetAvailableReplicas() {
		// Come back when the ready pods may have become available.
		return controller.Result{RequeueAfter: time.Duration(spec.MinReadySeconds) * time.Second}, nil
	}
	return controller.Result{}, nil
}

// updateStatus writes st unless the workload already says it; a Conflict is retried once on the
// latest workload.
func (c *Controller[T]) updateStatus(ctx context.Context, owner T, st *appsv1.ReplicaSetStatus) error {
	if proto.Equal(c.kind.Status(owner), st) {
		return nil
	}
	res := c.kind.Resource(c.client, owner.GetMetadata().GetNamespace())
	err := controller.UpdateStatus(ctx, res, owner, func(base T) T {
		s := st.CloneVT()
		s.ObservedGeneration = min(s.ObservedGeneration, base.GetMetadata().GetGeneration())
		return c.kind.WithStatus(base, s)
	})
	if err != nil {
		return fmt.Errorf("update status of %s %s: %w", c.kind.Kind, scheme.Key(owner), err)
	}
	return nil
}
