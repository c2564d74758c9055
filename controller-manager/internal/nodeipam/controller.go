package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Range is one cluster range and the prefix length of the node ranges cut from it.
type Range struct {
	Cluster  netip.Prefix
	MaskBits int
}

// Options configure the controller.
type Options struct {
	// Ranges are the cluster ranges, at most one per IP family; a node gets one range of each.
	Ranges []Range
}

// Controller is the node IPAM controller. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client *client.Client
	nodes  *informer.Informer[*corev1.Node]
	queue  workqueue.RateLimitingInterface[string]
	rec    *events.Recorder
	lg     *zap.Logger

	// mu guards sets and assigned, which every worker shares.
	mu   sync.Mutex
	sets []*cidrSet
	// assigned holds the ranges each node holds or is being given, so a node is never given
	// two and a deleted node's ranges can be released.
	assigned map[string][]netip.Prefix
}

// New returns a node IPAM controller reading nodes from f and writing through c. rec may be nil.
// It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if len(opts.Ranges) == 0 {
		return nil, errors.New("node IPAM needs at least one cluster range")
	}
	ctl := &Controller{
		client: c, nodes: informer.For[*corev1.Node](f), rec: rec, lg: lg.Named("nodeipam"),
		queue: workqueue.NewRateLimiting(workqueue.DefaultControllerRateLimiter[string](workqueue.WithClock(clk)),
			workqueue.WithClock(clk)),
		assigned: map[string][]netip.Prefix{},
	}
	families := map[bool]bool{}
	for _, r := range opts.Ranges {
		if families[r.Cluster.Addr().Is4()] {
			return nil, fmt.Errorf("cluster range %s: at most one range per IP family", r.Cluster)
		}
		families[r.Cluster.Addr().Is4()] = true
		s, err := newCIDRSet(r.Cluster, r.MaskBits)
		if err != nil {
			return nil, err
		}
		ctl.sets = append(ctl.sets, s)
	}
	ctl.nodes.AddHandler(informer.Handler[*corev1.Node]{
		OnAdd:    func(n *corev1.Node) { ctl.queue.Add(n.GetMetadata().GetName()) },
		OnUpdate: func(_, n *corev1.Node) { ctl.queue.Add(n.GetMetadata().GetName()) },
		OnDelete: func(n *corev1.Node) { ctl.queue.Add(n.GetMetadata().GetName()) },
	})
	return ctl, nil
}

// Run first marks the ranges existing nodes hold as taken, then gives nodes ranges with workers
// goroutines until ctx ends. The caller starts the factory and waits for it to sync first. It
// returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context, workers int) error {
	for _, n := range c.nodes.Lister().List() {
		c.recover(n)
	}
	c.lg.Info("starting node IPAM controller", zap.Int("workers", workers), zap.Int("nodesWithRanges", len(c.assigned)))
	return controller.New("nodeipam", c.queue, c.reconcile, workers, controller.WithLogger(c.lg)).Run(ctx)
}

// recover records the ranges node holds. A range outside every cluster range is the node's
// business and ignored; one another node holds too is reported.
func (c *Controller) recover(node *corev1.Node) {
	name := node.GetMetadata().GetName()
	var held []netip.Prefix
	for _, s := range nodeCIDRs(node) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			c.lg.Warn("node has an unparsable pod CIDR", zap.String("node", name), zap.String("cidr", s))
			continue
		}
		c.mu.Lock()
		for _, set := range c.sets {
			if !set.contains(p) {
				continue
			}
			free, err := set.occupy(p)
			switch {
			case err != nil:
				c.lg.Warn("node pod CIDR does not fit the cluster range", zap.String("node", name), zap.Error(err))
			case !free && !slices.Contains(c.assigned[name], p):
				c.lg.Warn("node pod CIDR is held by another node too", zap.String("node", name), zap.Stringer("cidr", p))
			}
		}
		c.mu.Unlock()
		held = append(held, p)
	}
	c.mu.Lock()
	c.assigned[name] = held
	c.mu.Unlock()
}

// nodeCIDRs returns the pod CIDRs node holds.
func nodeCIDRs(node *corev1.Node) []string {
	if cidrs := node.GetSpec().GetPodCidrs(); len(cidrs) > 0 {
		return cidrs
	}
	if c := node.GetSpec().GetPodCidr(); c != "" {
		return []string{c}
	}
	return nil
}

// reconcile gives the node name ranges when it has none, or releases them when it is gone.
func (c *Controller) reconcile(ctx context.Context, name string) (controller.Result, error) {
	node, ok := c.nodes.Lister().Get("", name)
	if !ok {
		c.release(name)
		// Nodes left waiting on a full range can have the freed one now, not at their next retry.
		for _, n := range c.nodes.Lister().List() {
			if len(nodeCIDRs(n)) == 0 {
				c.queue.Add(n.GetMetadata().GetName())
			}
		}
		return controller.Result{}, nil
	}
	if len(nodeCIDRs(node)) > 0 {
		c.recover(node)
		return controller.Result{}, nil
	}
	cidrs, err := c.allocate(name)
	if err != nil {
		c.event(node, events.TypeWarning, "CIDRNotAvailable", "Node %s status is now: CIDRNotAvailable", name)
		return controller.Result{}, fmt.Errorf("allocate pod CIDR for node %s: %w", name, err)
	}
	strs := make([]string, len(cidrs))
	for i, p := range cidrs {
		strs[i] = p.String()
	}
	for attempt := 0; ; attempt++ {
		next := node.CloneVT()
		if next.Spec == nil {
			next.Spec = &corev1.NodeSpec{}
		}
		next.Spec.PodCidr, next.Spec.PodCidrs = strs[0], strs
		_, err = c.client.Nodes().Update(ctx, next)
		if err == nil {
			c.lg.Info("node given pod CIDRs", zap.String("node", name), zap.Strings("cidrs", strs))
			return controller.Result{}, nil
		}
		if !apierrors.IsConflict(err) || attempt > 0 {
			break
		}
		if node, err = c.client.Nodes().Get(ctx, name); err != nil {
			break
		}
		if len(nodeCIDRs(node)) > 0 {
			// Someone else set them meanwhile: those count, ours go back.
			c.release(name)
			c.recover(node)
			return controller.Result{}, nil
		}
	}
	if apierrors.IsNotFound(err) {
		c.release(name)
		return controller.Result{}, nil
	}
	// The ranges stay reserved for this node: the retry writes the same ones.
	c.event(node, events.TypeWarning, "CIDRAssignmentFailed", "Node %s: failed to set pod CIDRs %v: %v", name, strs, err)
	return controller.Result{}, fmt.Errorf("set pod CIDRs of node %s: %w", name, err)
}

// allocate returns the ranges reserved for name, reserving one from every set first if it has
// none.
func (c *Controller) allocate(name string) ([]netip.Prefix, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got := c.assigned[name]; len(got) == len(c.sets) {
		return got, nil
	}
	var got []netip.Prefix
	for _, s := range c.sets {
		p, err := s.allocate()
		if err != nil {
			for i, taken := range got {
				c.sets[i].release(taken)
			}
			return nil, err
		}
		got = append(got, p)
	}
	c.assigned[name] = got
	return got, nil
}

// release frees the ranges name holds.
func (c *Controller) release(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.assigned[name] {
		for _, s := range c.sets {
			s.release(p)
		}
	}
	delete(c.assigned, name)
}

func (c *Controller) event(node *corev1.Node, typ, reason, format string, args ...any) {
	if c.rec != nil {
		c.rec.Eventf(node, typ, reason, format, args...)
	}
}
