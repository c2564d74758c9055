// Package lease keeps a node's heartbeat Lease in kube-node-lease, as Kubernetes' node lease
// controller does: the Lease is named after the node, held by it, lasts 40 s, is owned by the
// Node once the Node's UID is known, and is renewed every 10 s; a failed renewal is retried after
// a pause that starts at 200 ms and doubles up to 7 s.
package lease

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/backoff"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Defaults, as Kubernetes' kubelet uses them.
const (
	Namespace            = "kube-node-lease"
	DefaultDuration      = 40 * time.Second
	DefaultRenewInterval = 10 * time.Second
	DefaultRetryInitial  = 200 * time.Millisecond
	DefaultRetryMax      = 7 * time.Second
)

// Client is what the controller needs of the API; *client.Resource[*coordinationv1.Lease] for
// kube-node-lease implements it.
type Client interface {
	Get(ctx context.Context, name string, opts ...client.GetOptions) (*coordinationv1.Lease, error)
	Create(ctx context.Context, obj *coordinationv1.Lease, opts ...client.CreateOptions) (*coordinationv1.Lease, error)
	Update(ctx context.Context, obj *coordinationv1.Lease, opts ...client.UpdateOptions) (*coordinationv1.Lease, error)
}

// Config configures a Controller. Zero durations take the defaults.
type Config struct {
	NodeName      string
	Duration      time.Duration
	RenewInterval time.Duration
	Retry         backoff.Exponential
	// NodeUID returns the Node's UID, or "" while it is not known; the Lease gets its owner
	// reference once it is.
	NodeUID func() string
}

// Controller renews one node's Lease. Run does the work.
type Controller struct {
	cfg    Config
	leases Client
	clock  clock.Clock
	lg     *zap.Logger
	// lease is the Lease as last written, so a renewal needs no read unless it conflicts.
	lease *coordinationv1.Lease
}

// New returns a Controller; it starts nothing.
func New(cfg Config, leases Client, clk clock.Clock, lg *zap.Logger) *Controller {
	if cfg.Duration <= 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.RenewInterval <= 0 {
		cfg.RenewInterval = DefaultRenewInterval
	}
	if cfg.Retry.Initial <= 0 {
		cfg.Retry = backoff.Exponential{Initial: DefaultRetryInitial, Max: DefaultRetryMax}
	}
	if cfg.NodeUID == nil {
		cfg.NodeUID = func() string { return "" }
	}
	return &Controller{cfg: cfg, leases: leases, clock: clk, lg: lg}
}

// Run renews the Lease at once, then every RenewInterval after each success; after a failure it
// retries with backoff. It returns nil when ctx ends.
func (c *Controller) Run(ctx context.Context) error {
	retry := c.cfg.Retry
	for {
		pause := c.cfg.RenewInterval
		if err := c.renew(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			pause = retry.Next()
			c.lg.Info("renew node lease; retrying", zap.Duration("after", pause), zap.Error(err))
		} else {
			retry.Reset()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.clock.After(pause):
		}
	}
}

// renew writes the Lease once: an update of the one last written, else a fresh read, else a create.
func (c *Controller) renew(ctx context.Context) error {
	if c.lease == nil {
		l, err := c.leases.Get(ctx, c.cfg.NodeName)
		switch {
		case apierrors.IsNotFound(err):
			created, err := c.leases.Create(ctx, c.fill(&coordinationv1.Lease{
				Metadata: &metav1.ObjectMeta{Name: c.cfg.NodeName, Namespace: Namespace},
			}))
			if err != nil {
				return fmt.Errorf("create lease %s/%s: %w", Namespace, c.cfg.NodeName, err)
			}
			c.lease = created
			return nil
		case err != nil:
			return fmt.Errorf("get lease %s/%s: %w", Namespace, c.cfg.NodeName, err)
		}
		c.lease = l
	}
	updated, err := c.leases.Update(ctx, c.fill(c.lease))
	if err != nil {
		c.lease = nil // read it again next time: it changed or went away under us
		return fmt.Errorf("update lease %s/%s: %w", Namespace, c.cfg.NodeName, err)
	}
	c.lease = updated
	return nil
}

// fill sets the holder, duration, renew time and, once the Node's UID is known, the owner
// reference, and returns l.
func (c *Controller) fill(l *coordinationv1.Lease) *coordinationv1.Lease {
	if l.Spec == nil {
		l.Spec = &coordinationv1.LeaseSpec{}
	}
	holder, secs := c.cfg.NodeName, int32(c.cfg.Duration/time.Second)
	l.Spec.HolderIdentity = &holder
	l.Spec.LeaseDurationSeconds = &secs
	l.Spec.RenewTime = timestamppb.New(c.clock.Now())
	if uid := c.cfg.NodeUID(); uid != "" && !ownedBy(l, uid) {
		l.Metadata.OwnerReferences = []*metav1.OwnerReference{{ApiVersion: "v1", Kind: "Node", Name: c.cfg.NodeName, Uid: uid}}
	}
	return l
}

func ownedBy(l *coordinationv1.Lease, uid string) bool {
	for _, o := range l.GetMetadata().GetOwnerReferences() {
		if o.Kind == "Node" && o.Uid == uid {
			return true
		}
	}
	return false
}
