package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/taints"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// LeaseNamespace holds the Lease each kubelet renews, named after its node.
const LeaseNamespace = "kube-node-lease"

// nodeNameIndex indexes pods by spec.nodeName.
const nodeNameIndex = "nodelifecycle/spec.nodeName"

// Options configure the controller; zero fields take kube-controller-manager's defaults.
type Options struct {
	// MonitorPeriod is how often node health is checked (5s).
	MonitorPeriod time.Duration
	// GracePeriod is how long a node may go without renewing its Lease or its Ready heartbeat
	// before it is marked unhealthy (40s).
	GracePeriod time.Duration
	// StartupGracePeriod is how long a node that never posted a Ready condition has (1m).
	StartupGracePeriod time.Duration
	// EvictionRate is the NoExecute taints per second in a healthy zone (0.1);
	// SecondaryEvictionRate in a partially disrupted zone larger than LargeClusterThreshold
	// nodes (0.01, 50). Zero takes the default; a negative rate taints no node.
	EvictionRate          float64
	SecondaryEvictionRate float64
	LargeClusterThreshold int
	// UnhealthyZoneThreshold is the share of not-ready nodes that makes a zone partially
	// disrupted (0.55).
	UnhealthyZoneThreshold float64
}

func (o Options) withDefaults() Options {
	if o.MonitorPeriod <= 0 {
		o.MonitorPeriod = 5 * time.Second
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = 40 * time.Second
	}
	if o.StartupGracePeriod <= 0 {
		o.StartupGracePeriod = time.Minute
	}
	if o.EvictionRate == 0 {
		o.EvictionRate = 0.1
	}
	if o.SecondaryEvictionRate == 0 {
		o.SecondaryEvictionRate = 0.01
	}
	if o.LargeClusterThreshold == 0 {
		o.LargeClusterThreshold = 50
	}
	if o.UnhealthyZoneThreshold <= 0 {
		o.UnhealthyZoneThreshold = 0.55
	}
	return o
}

// Controller is the node lifecycle controller. Create it with New, then Run it once its factory
// has synced.
type Controller struct {
	client *client.Client
	nodes  *informer.Informer[*corev1.Node]
	leases *informer.Informer[*coordinationv1.Lease]
	pods   *informer.Informer[*corev1.Pod]
	// evictions holds pod keys whose NoExecute tolerations are to be checked.
	evictions workqueue.RateLimitingInterface[string]
	clock     clock.Clock
	rec       *events.Recorder
	lg        *zap.Logger
	opts      Options

	// mu guards health and zones, which the monitor pass owns, and taintsSeen, which the
	// eviction workers share; it is held only to read and write them, never across an API call.
	mu     sync.Mutex
	health map[string]*nodeHealth
	zones  map[string]*tokenBucket
	// taintsSeen holds, per node, when each NoExecute taint without a timeAdded was first seen.
	taintsSeen map[string]map[[3]string]time.Time
}

// New returns a node lifecycle controller reading nodes, node Leases and pods from f (registering
// them and its handlers on f) and writing through c. rec may be nil. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	ctl := &Controller{
		client: c,
		nodes:  informer.For[*corev1.Node](f),
		leases: informer.For[*coordinationv1.Lease](f, informer.Selection{Namespace: LeaseNamespace}),
		pods:   informer.For[*corev1.Pod](f),
		evictions: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		clock:  clk,
		rec:    rec,
		lg:     lg.Named("nodelifecycle"),
		opts:   opts.withDefaults(),
		health: map[string]*nodeHealth{},
		zones:  map[string]*tokenBucket{},

		taintsSeen: map[string]map[[3]string]time.Time{},
	}
	if err := ctl.pods.AddIndexers(map[string]informer.IndexFunc[*corev1.Pod]{
		nodeNameIndex: func(p *corev1.Pod) []string {
			if n := p.GetSpec().GetNodeName(); n != "" {
				return []string{n}
			}
			return nil
		},
	}); err != nil {
		return nil, fmt.Errorf("index pods by node: %w", err)
	}
	ctl.pods.AddHandler(informer.Handler[*corev1.Pod]{
		OnAdd: func(p *corev1.Pod) { ctl.enqueuePod(p) },
		OnUpdate: func(old, cur *corev1.Pod) {
			if old.GetSpec().GetNodeName() != cur.GetSpec().GetNodeName() || !sameTolerations(old, cur) {
				ctl.enqueuePod(cur)
			}
		},
	})
	ctl.nodes.AddHandler(informer.Handler[*corev1.Node]{
		OnAdd: func(n *corev1.Node) { ctl.enqueuePodsOn(n.GetMetadata().GetName()) },
		OnUpdate: func(old, cur *corev1.Node) {
			if !sameNoExecuteTaints(old, cur) {
				ctl.enqueuePodsOn(cur.GetMetadata().GetName())
			}
			if len(cur.GetSpec().GetTaints()) == 0 {
				ctl.mu.Lock()
				delete(ctl.taintsSeen, cur.GetMetadata().GetName())
				ctl.mu.Unlock()
			}
		},
		OnDelete: func(n *corev1.Node) { ctl.forget(n.GetMetadata().GetName()) },
	})
	return ctl, nil
}

func (c *Controller) enqueuePod(p *corev1.Pod) {
	if p.GetSpec().GetNodeName() != "" {
		c.evictions.Add(scheme.Key(p))
	}
}

func (c *Controller) enqueuePodsOn(node string) {
	for _, p := range c.pods.Lister().ByIndex(nodeNameIndex, node) {
		c.evictions.Add(scheme.Key(p))
	}
}

// forget drops what the controller remembers of a deleted node.
func (c *Controller) forget(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.health, node)
	delete(c.taintsSeen, node)
}

// Run checks node health every MonitorPeriod and evicts pods with workers goroutines until ctx
// ends. The caller starts the factory and waits for it to sync first. It returns once the
// monitor loop and every worker have stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	c.lg.Info("starting node lifecycle controller", zap.Int("workers", workers),
		zap.Duration("gracePeriod", c.opts.GracePeriod), zap.Duration("monitorPeriod", c.opts.MonitorPeriod))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- controller.New("node-eviction", c.evictions, c.reconcilePod, workers, controller.WithLogger(c.lg)).Run(ctx)
	}()
	t := c.clock.NewTicker(c.opts.MonitorPeriod)
	defer t.Stop()
	for {
		if err := c.monitor(ctx); err != nil && ctx.Err() == nil {
			// A failed write is tried again on the next pass, from the state then.
			c.lg.Warn("node health pass", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return <-done
		case <-t.C():
		}
	}
}

// monitor is one pass over every node: health first, then zone states, then taints.
func (c *Controller) monitor(ctx context.Context) error {
	var errs []error
	nodes := c.nodes.Lister().List()
	current := make([]*corev1.Node, 0, len(nodes))
	for _, n := range nodes {
		cur, err := c.updateHealth(ctx, n)
		if err != nil {
			errs = append(errs, err)
			cur = n
		}
		current = append(current, cur)
		if readyStatus(cur) == statusUnknown {
			if err := c.markPodsNotReady(ctx, cur.GetMetadata().GetName()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := c.reconcileTaints(ctx, current); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// event records an event when the controller has a recorder.
func (c *Controller) event(obj scheme.Object, typ, reason, format string, args ...any) {
	if c.rec != nil {
		c.rec.Eventf(obj, typ, reason, format, args...)
	}
}

// sameTolerations reports whether two versions of a pod tolerate the same.
func sameTolerations(a, b *corev1.Pod) bool {
	return slices.EqualFunc(a.GetSpec().GetTolerations(), b.GetSpec().GetTolerations(),
		func(x, y *corev1.Toleration) bool { return proto.Equal(x, y) })
}

// sameNoExecuteTaints reports whether two versions of a node carry the same NoExecute taints.
func sameNoExecuteTaints(a, b *corev1.Node) bool {
	noExec := func(n *corev1.Node) []*corev1.Taint {
		var out []*corev1.Taint
		for _, t := range n.GetSpec().GetTaints() {
			if t.GetEffect() == taints.EffectNoExecute {
				out = append(out, t)
			}
		}
		return out
	}
	return slices.EqualFunc(noExec(a), noExec(b), func(x, y *corev1.Taint) bool { return proto.Equal(x, y) })
}
