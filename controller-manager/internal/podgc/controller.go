package podgc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Options configure the collector; zero fields take kube-controller-manager's defaults, except
// TerminatedPodThreshold, where zero (or less) keeps every terminated pod, as in Kubernetes.
type Options struct {
	// TerminatedPodThreshold is how many terminated pods may exist before the oldest are deleted.
	TerminatedPodThreshold int
	// CheckPeriod is how often the collector looks (20s).
	CheckPeriod time.Duration
	// Quarantine is how long a node must be missing before its pods are deleted (40s).
	Quarantine time.Duration
}

func (o Options) withDefaults() Options {
	if o.CheckPeriod <= 0 {
		o.CheckPeriod = 20 * time.Second
	}
	if o.Quarantine <= 0 {
		o.Quarantine = 40 * time.Second
	}
	return o
}

// Controller is the pod garbage collector. Create it with New, then Run it once its factory has
// synced.
type Controller struct {
	client *client.Client
	pods   *informer.Informer[*corev1.Pod]
	nodes  *informer.Informer[*corev1.Node]
	clock  clock.Clock
	rec    *events.Recorder
	lg     *zap.Logger
	opts   Options

	// mu guards missing: when each node that pods are bound to was first seen missing.
	mu      sync.Mutex
	missing map[string]time.Time
}

// New returns a pod garbage collector reading pods and nodes from f and deleting through c. rec
// may be nil. It starts nothing.
func New(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger, opts Options) (*Controller, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Controller{
		client: c, pods: informer.For[*corev1.Pod](f), nodes: informer.For[*corev1.Node](f),
		clock: clk, rec: rec, lg: lg.Named("podgc"), opts: opts.withDefaults(), missing: map[string]time.Time{},
	}, nil
}

// Run collects every CheckPeriod until ctx ends; workers is ignored (one pass runs at a time).
// The caller starts the factory and waits for it to sync first.
func (c *Controller) Run(ctx context.Context, _ int) error {
	c.lg.Info("starting pod garbage collector", zap.Int("terminatedPodThreshold", c.opts.TerminatedPodThreshold))
	t := c.clock.NewTicker(c.opts.CheckPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
		if err := c.gc(ctx); err != nil && ctx.Err() == nil {
			// What failed is tried again on the next pass, from the state then.
			c.lg.Warn("pod garbage collection", zap.Error(err))
		}
	}
}

// gc is one pass.
func (c *Controller) gc(ctx context.Context) error {
	pods := c.pods.Lister().List()
	return errors.Join(c.gcTerminated(ctx, pods), c.gcOrphaned(ctx, pods), c.gcUnscheduledTerminating(ctx, pods))
}

// terminated reports whether p's containers will not run again.
func terminated(p *corev1.Pod) bool {
	phase := p.GetStatus().GetPhase()
	return phase == "Succeeded" || phase == "Failed"
}

// gcTerminated deletes the oldest terminated pods beyond the threshold, evicted ones first.
func (c *Controller) gcTerminated(ctx context.Context, pods []*corev1.Pod) error {
	if c.opts.TerminatedPodThreshold <= 0 {
		return nil
	}
	var done []*corev1.Pod
	for _, p := range pods {
		if terminated(p) && p.GetMetadata().GetDeletionTimestamp() == nil {
			done = append(done, p)
		}
	}
	excess := len(done) - c.opts.TerminatedPodThreshold
	if excess <= 0 {
		return nil
	}
	slices.SortStableFunc(done, func(a, b *corev1.Pod) int {
		if ea, eb := evicted(a), evicted(b); ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		return a.GetMetadata().GetCreationTimestamp().AsTime().Compare(b.GetMetadata().GetCreationTimestamp().AsTime())
	})
	c.lg.Info("deleting terminated pods over the threshold", zap.Int("count", excess))
	var errs []error
	for _, p := range done[:excess] {
		errs = append(errs, c.delete(ctx, p, "", ""))
	}
	return errors.Join(errs...)
}

func evicted(p *corev1.Pod) bool {
	return p.GetStatus().GetPhase() == "Failed" && p.GetStatus().GetReason() == "Evicted"
}

// gcOrphaned deletes the pods bound to nodes that have been missing for the quarantine period
// and that the API, asked directly, does not have either.
func (c *Controller) gcOrphaned(ctx context.Context, pods []*corev1.Pod) error {
	now := c.clock.Now()
	byNode := map[string][]*corev1.Pod{}
	for _, p := range pods {
		n := p.GetSpec().GetNodeName()
		if n == "" {
			continue
		}
		if _, ok := c.nodes.Lister().Get("", n); !ok {
			byNode[n] = append(byNode[n], p)
		}
	}
	var due []string
	c.mu.Lock()
	for n := range c.missing {
		if _, ok := byNode[n]; !ok {
			delete(c.missing, n) // back, or no pods left on it
		}
	}
	for n := range byNode {
		since, ok := c.missing[n]
		if !ok {
			c.missing[n] = now
			continue
		}
		if now.Sub(since) >= c.opts.Quarantine {
			due = append(due, n)
		}
	}
	c.mu.Unlock()
	slices.Sort(due)

	var errs []error
	for _, n := range due {
		// The cache may lag behind a node that was just created: ask the API.
		if _, err := c.client.Nodes().Get(ctx, n); err == nil {
			continue
		} else if !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("check node %s: %w", n, err))
			continue
		}
		for _, p := range byNode[n] {
			errs = append(errs, c.delete(ctx, p, "DeletionByPodGC", "PodGC: node no longer exists"))
		}
	}
	return errors.Join(errs...)
}

// gcUnscheduledTerminating deletes at once the pods being deleted that no node runs.
func (c *Controller) gcUnscheduledTerminating(ctx context.Context, pods []*corev1.Pod) error {
	var errs []error
	for _, p := range pods {
		if p.GetMetadata().GetDeletionTimestamp() != nil && p.GetSpec().GetNodeName() == "" {
			errs = append(errs, c.delete(ctx, p, "", ""))
		}
	}
	return errors.Join(errs...)
}

// delete force-deletes p. With a reason, a pod not yet terminated is first marked Failed with a
// DisruptionTarget condition, so that its owner sees why it went.
func (c *Controller) delete(ctx context.Context, p *corev1.Pod, reason, message string) error {
	ns, name := p.GetMetadata().GetNamespace(), p.GetMetadata().GetName()
	if reason != "" && !terminated(p) {
		next := p.CloneVT()
		if next.Status == nil {
			next.Status = &corev1.PodStatus{}
		}
		next.Status.Phase = "Failed"
		next.Status.Conditions = append(next.Status.Conditions, &corev1.PodCondition{
			Type: "DisruptionTarget", Status: "True", Reason: reason, Message: message,
			LastTransitionTime: timestamppb.New(c.clock.Now()),
		})
		if _, err := c.client.Pods(ns).UpdateStatus(ctx, next); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("mark pod %s/%s failed: %w", ns, name, err)
		}
	}
	err := c.client.Pods(ns).Delete(ctx, name, client.DeleteOptions{
		GracePeriodSeconds: proto.Int64(0), PreconditionUID: p.GetMetadata().GetUid(),
	})
	switch {
	case err == nil:
		c.lg.Info("deleted pod", zap.String("pod", ns+"/"+name), zap.String("reason", reason))
		if c.rec != nil && reason != "" {
			c.rec.Eventf(p, events.TypeNormal, reason, "%s", message)
		}
		return nil
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return nil // gone already, or another pod of that name now
	default:
		return fmt.Errorf("delete pod %s/%s: %w", ns, name, err)
	}
}
