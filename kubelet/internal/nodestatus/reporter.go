package nodestatus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/backoff"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Config is one node's registration and status settings.
type Config struct {
	NodeName string
	// Register creates the Node (or adopts an existing one); when false the kubelet waits for an
	// administrator to create it and only posts its status.
	Register bool
	// Labels are added to the default labels (--node-labels); Taints are set at creation
	// (--register-with-taints).
	Labels map[string]string
	Taints []*corev1.Taint
	Info   Info
	// UpdateFrequency is the longest time between two status posts (--node-status-update-frequency).
	UpdateFrequency time.Duration
	// CheckInterval is how often the status is recomputed; a change is posted at once (default:
	// the smaller of UpdateFrequency and 2s).
	CheckInterval time.Duration
	// RegisterBackoff bounds the pauses between registration attempts (default 100ms to 7s).
	RegisterBackoff backoff.Exponential
}

// Reporter registers a node and keeps its status. Run does the work; Node is safe to call from
// any goroutine.
type Reporter struct {
	cfg     Config
	nodes   NodeClient
	machine Machine
	runtime Versioner
	clock   clock.Clock
	lg      *zap.Logger

	mu         sync.Mutex
	node       *corev1.Node // as last written or read; nil until registered
	registered chan struct{}
	posted     *corev1.NodeStatus
	postedAt   time.Time
	// shuttingDown, once set by ShuttingDown, keeps the node NotReady.
	shuttingDown bool
}

// NewReporter returns a Reporter for one node. runtime may be nil while no runtime is wired: the
// node then reports no containerRuntimeVersion and stays Ready.
func NewReporter(cfg Config, nodes NodeClient, m Machine, runtime Versioner, clk clock.Clock, lg *zap.Logger) *Reporter {
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = min(cfg.UpdateFrequency, 2*time.Second)
	}
	if cfg.RegisterBackoff.Initial == 0 {
		cfg.RegisterBackoff = backoff.Exponential{Initial: 100 * time.Millisecond, Max: 7 * time.Second}
	}
	return &Reporter{cfg: cfg, nodes: nodes, machine: m, runtime: runtime, clock: clk, lg: lg, registered: make(chan struct{})}
}

// Registered is closed once the node exists in the API server with this kubelet's labels.
func (r *Reporter) Registered() <-chan struct{} { return r.registered }

// Node returns the node as last written or read, or nil before registration. The caller must not
// modify it.
func (r *Reporter) Node() *corev1.Node {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.node
}

// Run registers the node, retrying with backoff while the API server is unreachable, then posts
// its status whenever it changes and at least every UpdateFrequency until ctx ends. A node deleted
// under it is registered again. It returns nil when ctx ends.
func (r *Reporter) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if !r.register(ctx) {
			return nil
		}
		r.postLoop(ctx)
	}
	return nil
}

func (r *Reporter) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}

// register creates or adopts the node; it returns false only when ctx ended first.
func (r *Reporter) register(ctx context.Context) bool {
	b := r.cfg.RegisterBackoff
	for {
		node, err := r.tryRegister(ctx)
		if err == nil {
			r.mu.Lock()
			r.node = node
			r.posted = nil // post a full status to the (possibly new) node at once
			r.mu.Unlock()
			select {
			case <-r.registered:
			default:
				close(r.registered)
			}
			r.lg.Info("node registered", zap.String("uid", node.GetMetadata().GetUid()))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		pause := b.Next()
		r.lg.Info("node not registered yet; retrying", zap.Duration("after", pause), zap.Error(err))
		if !r.sleep(ctx, pause) {
			return false
		}
	}
}

// tryRegister makes one attempt, as Kubernetes' tryRegisterWithAPIServer: create the node; if it
// exists, adopt it, setting its default labels.
func (r *Reporter) tryRegister(ctx context.Context) (*corev1.Node, error) {
	want := initialNode(r.cfg.NodeName, r.cfg.Info.Hostname, r.cfg.Labels, r.cfg.Taints)
	if !r.cfg.Register {
		n, err := r.nodes.Get(ctx, r.cfg.NodeName)
		if err != nil {
			return nil, fmt.Errorf("get node %s (--register-node=false): %w", r.cfg.NodeName, err)
		}
		return n, nil
	}
	n, err := r.nodes.Create(ctx, want)
	if err == nil {
		return n, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create node %s: %w", r.cfg.NodeName, err)
	}
	existing, err := r.nodes.Get(ctx, r.cfg.NodeName)
	if err != nil {
		return nil, fmt.Errorf("get existing node %s: %w", r.cfg.NodeName, err)
	}
	if !adopt(existing, r.cfg.Info.Hostname) {
		return existing, nil
	}
	n, err = r.nodes.Update(ctx, existing)
	if err != nil {
		return nil, fmt.Errorf("adopt existing node %s: %w", r.cfg.NodeName, err)
	}
	return n, nil
}

// errNodeGone ends the post loop so that Run registers the node again.
var errNodeGone = errors.New("node deleted")

// postLoop posts the status until ctx ends or the node is deleted.
func (r *Reporter) postLoop(ctx context.Context) {
	tick := r.clock.NewTicker(r.cfg.CheckInterval)
	defer tick.Stop()
	for {
		if err := r.syncStatus(ctx); errors.Is(err, errNodeGone) {
			r.lg.Warn("node was deleted; registering it again")
			return
		} else if err != nil && ctx.Err() == nil {
			r.lg.Warn("update node status", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
		}
	}
}

// syncStatus computes the status and posts it if it changed or UpdateFrequency has passed since
// the last post. The check's time is read once, before anything else, so that the decision and the
// recorded post time belong to the tick that started the check however long the check takes.
func (r *Reporter) syncStatus(ctx context.Context) error {
	now := r.clock.Now()
	next, err := r.compute(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	prev, postedAt := r.posted, r.postedAt
	r.mu.Unlock()
	if !Changed(prev, next) && now.Sub(postedAt) < r.cfg.UpdateFrequency {
		return nil
	}
	return r.post(ctx, next, now)
}

// ShuttingDown marks the node NotReady for good (a node shutdown has begun) and posts the status
// at once. The post loop keeps posting it; an error says this first post failed.
func (r *Reporter) ShuttingDown(ctx context.Context) error {
	r.mu.Lock()
	r.shuttingDown = true
	r.mu.Unlock()
	now := r.clock.Now()
	next, err := r.compute(ctx)
	if err != nil {
		return err
	}
	return r.post(ctx, next, now)
}

// compute builds the status from the machine and the runtime now.
func (r *Reporter) compute(ctx context.Context) (*corev1.NodeStatus, error) {
	f, err := r.machine.Read()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	h := Health{ShuttingDown: r.shuttingDown}
	r.mu.Unlock()
	if r.runtime != nil {
		v, err := r.runtime.Version(ctx)
		if err != nil {
			h.RuntimeErr = err
		} else {
			h.RuntimeVersion = v.RuntimeName + "://" + v.RuntimeVersion
		}
	}
	return Build(f, r.cfg.Info, h), nil
}

// post writes next as the node's status, retrying a few times on conflicts with fresh reads.
func (r *Reporter) post(ctx context.Context, next *corev1.NodeStatus, now time.Time) error {
	const attempts = 5
	var err error
	for range attempts {
		var node *corev1.Node
		node, err = r.nodes.Get(ctx, r.cfg.NodeName)
		if apierrors.IsNotFound(err) {
			return errNodeGone
		}
		if err != nil {
			return fmt.Errorf("get node %s: %w", r.cfg.NodeName, err)
		}
		st := proto.Clone(next).(*corev1.NodeStatus)
		Merge(node.GetStatus(), st, timestamppb.New(now))
		node.Status = st
		var updated *corev1.Node
		updated, err = r.nodes.UpdateStatus(ctx, node)
		switch {
		case err == nil:
			r.mu.Lock()
			r.node, r.posted, r.postedAt = updated, st, now
			r.mu.Unlock()
			return nil
		case apierrors.IsNotFound(err):
			return errNodeGone
		case !apierrors.IsConflict(err):
			return fmt.Errorf("update node %s status: %w", r.cfg.NodeName, err)
		}
	}
	return fmt.Errorf("update node %s status: %w", r.cfg.NodeName, err)
}
