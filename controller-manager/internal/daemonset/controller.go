package daemonset

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// burst caps the pods one reconcile creates, as Kubernetes' burstReplicas.
const burst = 250

// Recorder records events about DaemonSets; *events.Recorder is one.
type Recorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Controller runs DaemonSets. Build it with New, before the informer factory starts; Run it once.
type Controller struct {
	client       *client.Client
	sets         *informer.Informer[*appsv1.DaemonSet]
	pods         *informer.Informer[*corev1.Pod]
	nodes        *informer.Informer[*corev1.Node]
	queue        workqueue.RateLimitingInterface[string]
	expectations *controller.Expectations
	recorder     Recorder
	clock        clock.Clock
	lg           *zap.Logger
}

// New builds a DaemonSet controller and adds its handlers to the DaemonSet, pod and node
// informers of f. It starts nothing. clk times availability and requeues (the real clock when
// nil).
func New(c *client.Client, f *informer.Factory, rec Recorder, clk clock.Clock, lg *zap.Logger) (*Controller, error) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	if lg == nil {
		lg = zap.NewNop()
	}
	ctl := &Controller{
		client:       c,
		sets:         informer.For[*appsv1.DaemonSet](f),
		pods:         informer.For[*corev1.Pod](f),
		nodes:        informer.For[*corev1.Node](f),
		queue:        workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)), workqueue.WithClock(clk)),
		expectations: controller.NewExpectations(clk, 0),
		recorder:     rec,
		clock:        clk,
		lg:           lg,
	}
	ctl.sets.AddHandler(controller.Enqueue[*appsv1.DaemonSet](ctl.queue))
	ctl.pods.AddHandler(podclaim.Handler(podclaim.Owners{Queue: ctl.queue, Expectations: ctl.expectations, Key: ctl.setKey, Matching: ctl.enqueueMatching}))
	ctl.nodes.AddHandler(informer.Handler[*corev1.Node]{
		OnAdd:    func(*corev1.Node) { ctl.enqueueAll() },
		OnUpdate: ctl.nodeUpdated,
		OnDelete: func(*corev1.Node) { ctl.enqueueAll() },
	})
	return ctl, nil
}

// Run reconciles DaemonSets with workers goroutines until ctx ends; see controller.Controller.Run
// for the shutdown. Call it once the informers have synced.
func (c *Controller) Run(ctx context.Context, workers int) error {
	return controller.New("daemonset", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// enqueueAll queues every DaemonSet: a node changed in a way that may change where they run.
func (c *Controller) enqueueAll() {
	for _, ds := range c.sets.Lister().List() {
		c.queue.Add(scheme.Key(ds))
	}
}

// nodeUpdated queues every DaemonSet when a node's labels, taints or readiness changed.
func (c *Controller) nodeUpdated(old, cur *corev1.Node) {
	if maps.Equal(old.GetMetadata().GetLabels(), cur.GetMetadata().GetLabels()) &&
		slices.EqualFunc(old.GetSpec().GetTaints(), cur.GetSpec().GetTaints(), func(a, b *corev1.Taint) bool { return proto.Equal(a, b) }) &&
		old.GetSpec().GetUnschedulable() == cur.GetSpec().GetUnschedulable() {
		return
	}
	c.enqueueAll()
}

// setKey returns the key of the DaemonSet ref names in namespace when it still exists with
// ref's uid; "" otherwise.
func (c *Controller) setKey(namespace string, ref *metav1.OwnerReference) string {
	if ref == nil || ref.GetKind() != "DaemonSet" {
		return ""
	}
	ds, ok := c.sets.Lister().Get(namespace, ref.GetName())
	if !ok || ds.GetMetadata().GetUid() != ref.GetUid() {
		return ""
	}
	return namespace + "/" + ref.GetName()
}

// enqueueMatching queues every DaemonSet of the orphan pod's namespace whose selector matches it.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	set := labels.Set(pod.GetMetadata().GetLabels())
	for _, ds := range c.sets.Lister().ListNamespace(pod.GetMetadata().GetNamespace()) {
		sel, err := labels.FromLabelSelector(ds.GetSpec().GetSelector())
		if err == nil && ds.GetSpec().GetSelector() != nil && sel.Matches(set) {
			c.queue.Add(scheme.Key(ds))
		}
	}
}

// updateStatus writes st unless the DaemonSet already says it; a Conflict is retried once on
// the latest DaemonSet of the same uid.
func (c *Controller) updateStatus(ctx context.Context, ds *appsv1.DaemonSet, st *appsv1.DaemonSetStatus) error {
	if proto.Equal(ds.GetStatus(), st) {
		return nil
	}
	err := controller.UpdateStatus(ctx, c.client.DaemonSets(ds.GetMetadata().GetNamespace()), ds, func(base *appsv1.DaemonSet) *appsv1.DaemonSet {
		d := base.CloneVT()
		d.Status = st.CloneVT()
		d.Status.ObservedGeneration = min(st.ObservedGeneration, base.GetMetadata().GetGeneration())
		return d
	})
	if err != nil {
		return fmt.Errorf("update status of daemon set %s: %w", scheme.Key(ds), err)
	}
	return nil
}
