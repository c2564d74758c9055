package leaderelection

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/keelson-dev/keelson/pkg/clock"
)

const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
)

var epoch = time.Unix(1000, 0)

// candidate is one RunWhileLeading running on a fake clock against a shared store.
type candidate struct {
	clk     *clock.Fake
	s       *store
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	started chan struct{} // closed when fn starts
	stopped chan struct{} // closed when fn's context has ended
	mu      sync.Mutex
	leaders []string // what OnNewLeader heard
}

// start runs candidate id against s. fn, when nil, leads until its context ends.
func start(t *testing.T, clk *clock.Fake, s *store, id string, fn func(context.Context) error) *candidate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{clk: clk, s: s, cancel: cancel, done: make(chan struct{}),
		started: make(chan struct{}), stopped: make(chan struct{})}
	cfg := Config{
		Lock: &fakeLock{s: s}, Identity: id,
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
		OnNewLeader: func(id string) {
			c.mu.Lock()
			c.leaders = append(c.leaders, id)
			c.mu.Unlock()
		},
		Clock: clk, Logger: zaptest.NewLogger(t).Named(id),
	}
	go func() {
		defer close(c.done)
		c.err = RunWhileLeading(ctx, cfg, func(lctx context.Context) error {
			close(c.started)
			defer close(c.stopped)
			if fn != nil {
				return fn(lctx)
			}
			<-lctx.Done()
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
	})
	return c
}

// settle waits until the candidate sleeps on the clock again or has returned.
func (c *candidate) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.clk.Waiters() == 0 {
		select {
		case <-c.done:
			return
		case <-time.After(time.Millisecond): // polling with a deadline
		}
		if time.Now().After(deadline) {
			t.Fatal("the candidate neither sleeps on the clock nor returned")
		}
	}
}

// tick lets one retry period pass once the candidate sleeps, and waits for its attempt.
func (c *candidate) tick(t *testing.T) {
	t.Helper()
	c.settle(t)
	c.clk.Step(retryPeriod)
	c.settle(t)
}

// result waits for RunWhileLeading to return and returns its error.
func (c *candidate) result(t *testing.T) error {
	t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(10 * time.Second):
		t.Fatal("RunWhileLeading did not return")
		return nil
	}
}

func (c *candidate) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen", what)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestAcquireRenewAndReleaseOnShutdown(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	a := start(t, clk, s, "a", nil)
	waitClosed(t, a.started, "leading")

	rec, ok := s.get()
	require.True(t, ok, "the lock was created")
	require.Equal(t, Record{HolderIdentity: "a", LeaseDuration: leaseDuration, AcquireTime: epoch, RenewTime: epoch}, rec)

	// Each retry period renews the lock, keeping the acquire time.
	for i := 1; i <= 10; i++ {
		a.tick(t)
		rec, _ = s.get()
		require.Equal(t, "a", rec.HolderIdentity)
		require.Equal(t, epoch.Add(time.Duration(i)*retryPeriod), rec.RenewTime, "renewal %d", i)
		require.Equal(t, epoch, rec.AcquireTime)
		require.Zero(t, rec.Transitions)
	}
	require.False(t, isClosed(a.stopped), "still leading")

	// Shutting down ends fn's context first, then gives the lock up.
	a.cancel()
	require.NoError(t, a.result(t))
	require.True(t, isClosed(a.stopped))
	rec, _ = s.get()
	require.Empty(t, rec.HolderIdentity, "the lock was given up")
	require.Equal(t, time.Second, rec.LeaseDuration)
	require.Equal(t, clk.Now(), rec.RenewTime)
	require.Empty(t, a.leaders)
}

func TestLoseWhenRenewDeadlinePasses(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	a := start(t, clk, s, "a", nil)
	waitClosed(t, a.started, "leading")
	a.tick(t) // one renewal at 2s

	// The API server becomes unreachable: renewals fail until the renew deadline has passed
	// since the last one that succeeded.
	s.fail(true)
	for range renewDeadline/retryPeriod - 1 {
		a.tick(t)
		require.True(t, a.running(), "still within the renew deadline at %s", clk.Since(epoch))
		require.False(t, isClosed(a.stopped))
	}
	a.tick(t)
	require.ErrorIs(t, a.result(t), ErrLeadershipLost)
	require.True(t, isClosed(a.stopped), "fn's context ended before RunWhileLeading returned")

	s.fail(false)
	rec, _ := s.get()
	require.Equal(t, "a", rec.HolderIdentity, "a candidate that lost the lock cannot give it up")
	require.Equal(t, epoch.Add(retryPeriod), rec.RenewTime)
}

func TestLoseToAnotherHolder(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	a := start(t, clk, s, "a", nil)
	waitClosed(t, a.started, "leading")
	a.tick(t)

	// Another candidate overwrote the lock (say, after a long pause of this process).
	s.set(Record{HolderIdentity: "b", LeaseDuration: leaseDuration, AcquireTime: clk.Now(), RenewTime: clk.Now(), Transitions: 1})
	a.tick(t)
	require.ErrorIs(t, a.result(t), ErrLeadershipLost, "losing needs no renew deadline once another holds the lock")
	require.True(t, isClosed(a.stopped))
	rec, _ := s.get()
	require.Equal(t, "b", rec.HolderIdentity, "the new holder's lock is left alone")
	require.Equal(t, []string{"b"}, a.leaders)
}

func TestStandbyTakesOverOnlyOnceTheLockExpired(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	s.set(Record{HolderIdentity: "b", LeaseDuration: leaseDuration, AcquireTime: epoch, RenewTime: epoch, Transitions: 3})
	a := start(t, clk, s, "a", nil)

	// b renews twice, then stops. a judges expiry by when it saw the last renewal, on its own
	// clock.
	a.tick(t)
	s.set(Record{HolderIdentity: "b", LeaseDuration: leaseDuration, AcquireTime: epoch, RenewTime: clk.Now(), Transitions: 3})
	a.tick(t)
	s.set(Record{HolderIdentity: "b", LeaseDuration: leaseDuration, AcquireTime: epoch, RenewTime: clk.Now(), Transitions: 3})
	a.tick(t)
	seen := clk.Now()
	for {
		a.tick(t)
		rec, _ := s.get()
		if rec.HolderIdentity == "a" {
			require.Greater(t, clk.Since(seen), leaseDuration, "a took an unexpired lock")
			require.LessOrEqual(t, clk.Since(seen), leaseDuration+retryPeriod, "a waited longer than needed")
			break
		}
		require.LessOrEqual(t, clk.Since(seen), leaseDuration, "a did not take an expired lock")
	}
	waitClosed(t, a.started, "a leads once b's lock expired")
	rec, _ := s.get()
	require.Equal(t, "a", rec.HolderIdentity)
	require.Equal(t, int32(4), rec.Transitions)
	require.Equal(t, clk.Now(), rec.AcquireTime)
	a.mu.Lock()
	require.Equal(t, []string{"b"}, a.leaders, "b was announced once")
	a.mu.Unlock()
}

func TestTakesAGivenUpLockAtOnce(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	s.set(Record{LeaseDuration: time.Second, AcquireTime: epoch, RenewTime: epoch, Transitions: 1})
	a := start(t, clk, s, "a", nil)
	waitClosed(t, a.started, "a leads without waiting")
	rec, _ := s.get()
	require.Equal(t, "a", rec.HolderIdentity)
	require.Equal(t, int32(2), rec.Transitions)
}

func TestShutdownBeforeLeading(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := &store{}
	held := Record{HolderIdentity: "b", LeaseDuration: leaseDuration, AcquireTime: epoch, RenewTime: epoch}
	s.set(held)
	a := start(t, clk, s, "a", nil)
	a.settle(t)
	a.cancel()
	require.NoError(t, a.result(t))
	require.False(t, isClosed(a.started), "a standby never runs fn")
	rec, _ := s.get()
	require.Equal(t, held, rec, "a standby leaves the lock alone")
}

func TestFnEndsLeading(t *testing.T) {
	failed := errors.New("cannot work")
	tests := []struct {
		name    string
		fnErr   error
		wantErr error
	}{
		{name: "fn fails", fnErr: failed, wantErr: failed},
		{name: "fn is done", fnErr: nil, wantErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(epoch)
			s := &store{}
			a := start(t, clk, s, "a", func(context.Context) error { return tt.fnErr })
			err := a.result(t)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
			}
			rec, _ := s.get()
			require.Empty(t, rec.HolderIdentity, "the lock is given up for a standby")
		})
	}
}

func TestConfigValidate(t *testing.T) {
	valid := Config{Lock: &fakeLock{s: &store{}}, Identity: "a", LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "valid", mutate: func(*Config) {}},
		{name: "no lock", mutate: func(c *Config) { c.Lock = nil }, wantErr: "a lock and an identity are required"},
		{name: "no identity", mutate: func(c *Config) { c.Identity = "" }, wantErr: "a lock and an identity are required"},
		{name: "renew deadline too long", mutate: func(c *Config) { c.RenewDeadline = leaseDuration }, wantErr: "need LeaseDuration (15s) > RenewDeadline (15s)"},
		{name: "no retry period", mutate: func(c *Config) { c.RetryPeriod = 0 }, wantErr: "RetryPeriod (0s) > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mutate(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			err = RunWhileLeading(context.Background(), cfg, func(context.Context) error {
				t.Error("fn must not run on an invalid configuration")
				return nil
			})
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// A candidate that cannot reach the lock says so: the first failure and each new one are
// warnings, and the same failure is repeated once a minute rather than at every retry.
func TestUnreachableLockIsWarnedAboutAndThrottled(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	clk := clock.NewFake(epoch)
	s := &store{}
	s.fail(true)
	e := &elector{cfg: Config{Lock: &fakeLock{s: s}, Identity: "a", LeaseDuration: leaseDuration,
		RenewDeadline: renewDeadline, RetryPeriod: retryPeriod, Clock: clk}, lg: zap.New(core)}
	warnings := func() int { return logs.FilterMessageSnippet("reading the lock failed").Len() }

	require.False(t, e.tryAcquireOrRenew(context.Background()))
	require.Equal(t, 1, warnings(), "the first failure is a warning")
	require.Contains(t, logs.All()[0].ContextMap()["error"], errUnreachable.Error())
	for range 5 {
		clk.Step(retryPeriod)
		require.False(t, e.tryAcquireOrRenew(context.Background()))
	}
	require.Equal(t, 1, warnings(), "the same failure is not repeated at every retry")
	clk.Step(failureWarnEvery)
	require.False(t, e.tryAcquireOrRenew(context.Background()))
	require.Equal(t, 2, warnings(), "a failure that lasts is repeated once a minute")

	s.fail(false)
	require.True(t, e.tryAcquireOrRenew(context.Background()))
	s.fail(true)
	require.False(t, e.tryAcquireOrRenew(context.Background()))
	require.Equal(t, 3, warnings(), "a failure after a success is a warning again")

	ended, cancel := context.WithCancel(context.Background())
	cancel()
	clk.Step(failureWarnEvery)
	require.False(t, e.tryAcquireOrRenew(ended))
	require.Equal(t, 3, warnings(), "a call cut short by the election's end is no warning")
}
