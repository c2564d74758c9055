package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// ErrLeadershipLost is what Run returns when the elector led and could not renew in time.
var ErrLeadershipLost = errors.New("leader election lost")

// Callbacks are called as leadership changes.
type Callbacks struct {
	// OnStartedLeading runs in its own goroutine when this candidate becomes leader; ctx ends when
	// leadership does. Run waits for it to return before it returns.
	OnStartedLeading func(ctx context.Context)
	// OnStoppedLeading is called after leading ends.
	OnStoppedLeading func()
	// OnNewLeader is called when another identity is seen to hold the lease.
	OnNewLeader func(identity string)
}

// Config configures an Elector.
type Config struct {
	// Leases is the lease client of the lease's namespace; Name names the lease.
	Leases *client.Resource[*coordinationv1.Lease]
	Name   string
	// Identity names this candidate; it must be unique among candidates.
	Identity string
	// LeaseDuration is how long a lease not renewed stays held; RenewDeadline is how long the leader
	// keeps trying to renew before it steps down; RetryPeriod is the pause between attempts.
	// LeaseDuration > RenewDeadline > RetryPeriod > 0.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// ReleaseOnCancel gives the lease up when Run's context ends, so a standby takes over at once.
	ReleaseOnCancel bool
	Callbacks       Callbacks
	Clock           clock.Clock
	Logger          *zap.Logger
}

// Elector takes part in one election.
type Elector struct {
	cfg Config

	mu           sync.Mutex
	observed     *coordinationv1.Lease
	observedTime time.Time
	leader       string
}

// New checks cfg and returns an elector.
func New(cfg Config) (*Elector, error) {
	var errs []error
	if cfg.Leases == nil || cfg.Name == "" || cfg.Identity == "" {
		errs = append(errs, errors.New("the lease client, lease name and identity are required"))
	}
	if cfg.RetryPeriod <= 0 || cfg.RenewDeadline <= cfg.RetryPeriod || cfg.LeaseDuration <= cfg.RenewDeadline {
		errs = append(errs, fmt.Errorf("need LeaseDuration (%s) > RenewDeadline (%s) > RetryPeriod (%s) > 0",
			cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod))
	}
	if cfg.Callbacks.OnStartedLeading == nil {
		errs = append(errs, errors.New("an OnStartedLeading callback is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("leader election: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Elector{cfg: cfg}, nil
}

// Leader returns the identity last seen holding the lease.
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// IsLeader reports whether this candidate held the lease when last checked.
func (e *Elector) IsLeader() bool { return e.Leader() == e.cfg.Identity }

// Run competes for the lease until it is acquired, then leads until ctx ends or a renewal fails.
// It returns nil when ctx ends and ErrLeadershipLost when renewing failed; in both cases any
// OnStartedLeading has returned and OnStoppedLeading has been called if leading began.
func (e *Elector) Run(ctx context.Context) error {
	if !e.acquire(ctx) {
		return nil
	}
	lctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.cfg.Callbacks.OnStartedLeading(lctx)
	}()
	err := e.renew(lctx)
	cancel()
	wg.Wait()
	if e.cfg.ReleaseOnCancel && ctx.Err() != nil {
		e.release()
	}
	if e.cfg.Callbacks.OnStoppedLeading != nil {
		e.cfg.Callbacks.OnStoppedLeading()
	}
	return err
}

// acquire tries every RetryPeriod until it holds the lease (true) or ctx ends (false).
func (e *Elector) acquire(ctx context.Context) bool {
	for {
		if ok := e.tryAcquireOrRenew(ctx); ok {
			e.cfg.Logger.Info("acquired lease", zap.String("lease", e.cfg.Name), zap.String("identity", e.cfg.Identity))
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-e.cfg.Clock.After(e.cfg.RetryPeriod):
		}
	}
}

// renew renews every RetryPeriod until ctx ends (nil) or no renewal succeeded for RenewDeadline.
func (e *Elector) renew(ctx context.Context) error {
	lastRenew := e.cfg.Clock.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-e.cfg.Clock.After(e.cfg.RetryPeriod):
		}
		rctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		ok := e.tryAcquireOrRenew(rctx)
		cancel()
		if ok {
			lastRenew = e.cfg.Clock.Now()
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if e.cfg.Clock.Since(lastRenew) >= e.cfg.RenewDeadline || e.Leader() != e.cfg.Identity {
			e.cfg.Logger.Warn("lost lease", zap.String("lease", e.cfg.Name), zap.String("identity", e.cfg.Identity))
			return ErrLeadershipLost
		}
	}
}

// tryAcquireOrRenew takes the lease if it is free or expired, or renews it if held by this
// candidate. A conflicting write by another candidate counts as a failed attempt.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) bool {
	now := e.cfg.Clock.Now()
	lease, err := e.cfg.Leases.Get(ctx, e.cfg.Name)
	switch {
	case apierrors.IsNotFound(err):
		lease = &coordinationv1.Lease{
			Metadata: &metav1.ObjectMeta{Name: e.cfg.Name},
			Spec:     e.spec(now, now, 0),
		}
		created, err := e.cfg.Leases.Create(ctx, lease)
		if err != nil {
			return false
		}
		e.observe(created, now)
		return true
	case err != nil:
		e.cfg.Logger.Debug("reading lease failed", zap.String("lease", e.cfg.Name), zap.Error(err))
		return false
	}
	e.observe(lease, now)
	holder := lease.GetSpec().GetHolderIdentity()
	e.mu.Lock()
	expired := e.observedTime.Add(e.leaseDuration(lease)).Before(now)
	e.mu.Unlock()
	if holder != "" && holder != e.cfg.Identity && !expired {
		return false
	}
	acquired := lease.GetSpec().GetAcquireTime().AsTime()
	transitions := lease.GetSpec().GetLeaseTransitions()
	if holder != e.cfg.Identity {
		acquired = now
		transitions++
	}
	lease.Spec = e.spec(acquired, now, transitions)
	updated, err := e.cfg.Leases.Update(ctx, lease)
	if err != nil {
		return false
	}
	e.observe(updated, now)
	return true
}

func (e *Elector) spec(acquired, renewed time.Time, transitions int32) *coordinationv1.LeaseSpec {
	id := e.cfg.Identity
	secs := int32(e.cfg.LeaseDuration / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &coordinationv1.LeaseSpec{
		HolderIdentity:       &id,
		LeaseDurationSeconds: &secs,
		AcquireTime:          timestamppb.New(acquired),
		RenewTime:            timestamppb.New(renewed),
		LeaseTransitions:     &transitions,
	}
}

// leaseDuration is how long the lease stays held without renewal: what the holder wrote, or
// this candidate's own setting when the lease says nothing. The lease stores whole seconds, so a
// sub-second LeaseDuration (tests) is honoured as configured.
func (e *Elector) leaseDuration(l *coordinationv1.Lease) time.Duration {
	if l.GetSpec().LeaseDurationSeconds == nil {
		return e.cfg.LeaseDuration
	}
	return max(time.Duration(l.GetSpec().GetLeaseDurationSeconds())*time.Second, e.cfg.LeaseDuration)
}

// observe records the lease as seen at now; its observation time moves only when the holder or
// renew time changed, so expiry is judged on this candidate's clock. OnNewLeader is called, outside
// the lock, when another identity is seen holding the lease.
func (e *Elector) observe(l *coordinationv1.Lease, now time.Time) {
	e.mu.Lock()
	old := e.observed
	changed := old == nil ||
		old.GetSpec().GetHolderIdentity() != l.GetSpec().GetHolderIdentity() ||
		!old.GetSpec().GetRenewTime().AsTime().Equal(l.GetSpec().GetRenewTime().AsTime())
	if changed {
		e.observedTime = now
	}
	e.observed = l
	holder := l.GetSpec().GetHolderIdentity()
	newLeader := holder != e.leader && holder != "" && holder != e.cfg.Identity
	e.leader = holder
	e.mu.Unlock()
	if newLeader && e.cfg.Callbacks.OnNewLeader != nil {
		e.cfg.Callbacks.OnNewLeader(holder)
	}
}

// release gives the lease up so a standby need not wait for it to expire.
func (e *Elector) release() {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	e.mu.Lock()
	l := e.observed
	e.mu.Unlock()
	if l == nil || l.GetSpec().GetHolderIdentity() != e.cfg.Identity {
		return
	}
	empty := ""
	one := int32(1)
	l.Spec.HolderIdentity = &empty
	l.Spec.LeaseDurationSeconds = &one
	l.Spec.RenewTime = timestamppb.New(e.cfg.Clock.Now())
	if _, err := e.cfg.Leases.Update(ctx, l); err != nil {
		e.cfg.Logger.Warn("releasing lease failed", zap.String("lease", e.cfg.Name), zap.Error(err))
	}
}
