package leaderelection

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// ErrLeadershipLost is what RunWhileLeading returns when it led and could not renew in time, or
// saw another candidate take the lock.
var ErrLeadershipLost = errors.New("leader election lost")

// Config configures an election.
type Config struct {
	// Lock is what the candidates compete for.
	Lock Lock
	// Identity names this candidate; it must be unique among candidates.
	Identity string
	// LeaseDuration is how long a lock not renewed stays held; RenewDeadline is how long the
	// leader keeps trying to renew before it steps down; RetryPeriod is the pause between
	// attempts. LeaseDuration > RenewDeadline > RetryPeriod > 0.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// OnNewLeader, when set, is called with the identity of each other candidate seen to take the
	// lock. It runs on the election's goroutine and must not block.
	OnNewLeader func(identity string)
	// Clock defaults to the real one; Logger to none.
	Clock  clock.Clock
	Logger *zap.Logger
}

// Validate reports what is missing or out of order in c.
func (c Config) Validate() error {
	var errs []error
	if c.Lock == nil || c.Identity == "" {
		errs = append(errs, errors.New("a lock and an identity are required"))
	}
	if c.RetryPeriod <= 0 || c.RenewDeadline <= c.RetryPeriod || c.LeaseDuration <= c.RenewDeadline {
		errs = append(errs, fmt.Errorf("need LeaseDuration (%s) > RenewDeadline (%s) > RetryPeriod (%s) > 0",
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	return nil
}

// RunWhileLeading competes for cfg.Lock until this candidate holds it, then runs fn with a
// context that ends when leadership does, renewing the lock meanwhile. When fn returns, when ctx
// ends or when leadership is lost, it cancels fn's context and waits for fn to return; unless
// leadership was lost it then gives the lock up, so a standby need not wait for it to expire.
//
// It returns nil when ctx ended (whether or not this candidate led), ErrLeadershipLost when the
// lock could not be renewed within RenewDeadline or another candidate took it, and otherwise what
// fn returned. fn runs at most once; a candidate that lost leadership must start over (in a
// daemon: exit, so that its supervisor restarts it as a standby).
func RunWhileLeading(ctx context.Context, cfg Config, fn func(context.Context) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	e := &elector{cfg: cfg, lg: cfg.Logger.With(zap.String("lock", cfg.Lock.Describe()), zap.String("identity", cfg.Identity))}
	if !e.acquire(ctx) {
		return nil
	}
	e.lg.Info("acquired the lock; leading")

	lctx, cancel := context.WithCancel(ctx)
	var (
		wg    sync.WaitGroup
		fnErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel() // leading ends with fn
		fnErr = fn(lctx)
	}()
	lost := e.renew(lctx)
	cancel()
	wg.Wait()
	if lost {
		e.lg.Warn("lost the lock; stopped leading")
		return ErrLeadershipLost
	}
	e.release()
	// fn's context ending with ctx is a clean stop, not a failure.
	if ctx.Err() != nil && (errors.Is(fnErr, context.Canceled) || errors.Is(fnErr, context.DeadlineExceeded)) {
		return nil
	}
	return fnErr
}

// elector is one candidate's view of the election. Only RunWhileLeading's goroutine uses it.
type elector struct {
	cfg Config
	lg  *zap.Logger
	// observed is the record last read or written (seen says there is one), observedAt when it
	// last changed, on this candidate's clock.
	observed   Record
	observedAt time.Time
	seen       bool
	// lastFailure and lastWarned throttle the warnings of failing lock calls: a new error is
	// logged at once, the same one again once a minute.
	lastFailure string
	lastWarned  time.Time
}

// failureWarnEvery is how often the same failure of a lock call is logged again.
const failureWarnEvery = time.Minute

// failed logs a lock call that failed. A lost race (a write on a stale record, two candidates
// creating the lock) is an ordinary part of the election, and a call cut short by ctx is the
// election ending; any other failure (the apiserver unreachable, the credentials refused) keeps
// this candidate from ever leading, so it is a warning, repeated while it lasts.
func (e *elector) failed(ctx context.Context, what string, err error) {
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || ctx.Err() != nil {
		e.lg.Debug(what+" failed", zap.Error(err))
		return
	}
	now := e.cfg.Clock.Now()
	if msg := err.Error(); msg != e.lastFailure || now.Sub(e.lastWarned) >= failureWarnEvery {
		e.lastFailure, e.lastWarned = msg, now
		e.lg.Warn(what+" failed; retrying", zap.Duration("every", e.cfg.RetryPeriod), zap.Error(err))
		return
	}
	e.lg.Debug(what+" failed", zap.Error(err))
}

// acquire tries every RetryPeriod until it holds the lock (true) or ctx ends (false).
func (e *elector) acquire(ctx context.Context) bool {
	for {
		if e.tryAcquireOrRenew(ctx) {
			return true
		}
		if !e.sleep(ctx) {
			return false
		}
	}
}

// renew renews every RetryPeriod until ctx ends (false) or leadership is lost (true): no renewal
// succeeded for RenewDeadline, or another candidate holds the lock.
func (e *elector) renew(ctx context.Context) bool {
	lastRenew := e.cfg.Clock.Now()
	for {
		if !e.sleep(ctx) {
			return false
		}
		rctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
		ok := e.tryAcquireOrRenew(rctx)
		cancel()
		switch {
		case ok:
			lastRenew = e.cfg.Clock.Now()
		case ctx.Err() != nil:
			return false
		case e.observed.HolderIdentity != e.cfg.Identity:
			e.lg.Warn("another candidate took the lock", zap.String("holder", e.observed.HolderIdentity))
			return true
		case e.cfg.Clock.Since(lastRenew) >= e.cfg.RenewDeadline:
			e.lg.Warn("could not renew the lock within the renew deadline", zap.Duration("renewDeadline", e.cfg.RenewDeadline))
			return true
		}
	}
}

// sleep waits for RetryPeriod; it reports false when ctx ended first.
func (e *elector) sleep(ctx context.Context) bool {
	t := e.cfg.Clock.NewTimer(e.cfg.RetryPeriod)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// tryAcquireOrRenew takes the lock if it is free or expired, or renews it if this candidate holds
// it. A failed read or a write that lost a race counts as a failed attempt.
func (e *elector) tryAcquireOrRenew(ctx context.Context) bool {
	now := e.cfg.Clock.Now()
	mine := Record{
		HolderIdentity: e.cfg.Identity,
		LeaseDuration:  e.cfg.LeaseDuration,
		AcquireTime:    now,
		RenewTime:      now,
	}
	current, err := e.cfg.Lock.Get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		if err := e.cfg.Lock.Create(ctx, mine); err != nil {
			e.failed(ctx, "creating the lock", err)
			return false
		}
		e.observe(mine, now)
		return true
	case err != nil:
		e.failed(ctx, "reading the lock", err)
		return false
	}
	e.observe(current, now)
	holder := current.HolderIdentity
	if holder != "" && holder != e.cfg.Identity && !e.expired(now) {
		return false
	}
	if holder == e.cfg.Identity {
		mine.AcquireTime = current.AcquireTime
		mine.Transitions = current.Transitions
	} else {
		mine.Transitions = current.Transitions + 1
	}
	if err := e.cfg.Lock.Update(ctx, mine); err != nil {
		e.failed(ctx, "writing the lock", err)
		return false
	}
	e.observe(mine, now)
	return true
}

// expired reports whether the observed record has gone unrenewed for its lease duration, as
// measured on this candidate's clock. The lock may store whole seconds only, so a shorter
// configured duration (tests) is honoured as it is.
func (e *elector) expired(now time.Time) bool {
	d := max(e.observed.LeaseDuration, e.cfg.LeaseDuration)
	return e.observedAt.Add(d).Before(now)
}

// observe records r as seen at now. Its observation time moves only when the holder or the renew
// time changed, so that expiry is judged on this candidate's clock. OnNewLeader hears of each
// other holder. A lock that answers ends the throttling of failure warnings.
func (e *elector) observe(r Record, now time.Time) {
	e.lastFailure = "" // the lock answered
	old := e.observed
	if !e.seen || old.HolderIdentity != r.HolderIdentity || !old.RenewTime.Equal(r.RenewTime) {
		e.observedAt = now
	}
	newLeader := r.HolderIdentity != "" && r.HolderIdentity != e.cfg.Identity &&
		(!e.seen || r.HolderIdentity != old.HolderIdentity)
	e.observed, e.seen = r, true
	if newLeader {
		e.lg.Info("another candidate leads", zap.String("leader", r.HolderIdentity))
		if e.cfg.OnNewLeader != nil {
			e.cfg.OnNewLeader(r.HolderIdentity)
		}
	}
}

// release gives the lock up if this candidate holds it, within RenewDeadline.
func (e *elector) release() {
	if e.observed.HolderIdentity != e.cfg.Identity {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	now := e.cfg.Clock.Now()
	r := Record{LeaseDuration: time.Second, AcquireTime: now, RenewTime: now, Transitions: e.observed.Transitions}
	if err := e.cfg.Lock.Update(ctx, r); err != nil {
		e.lg.Warn("giving the lock up failed", zap.Error(err))
		return
	}
	e.observe(r, now)
	e.lg.Info("gave the lock up")
}
