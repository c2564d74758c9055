package integration

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/leaderelection"
	"github.com/keelson-dev/keelson/test/framework"
)

// mortalLock is a lock whose candidate can die: once killed, every call fails as if the process
// were gone, so it cannot give the lock up either.
type mortalLock struct {
	leaderelection.Lock
	dead atomic.Bool
}

var errDead = errors.New("the candidate's process is gone")

func (l *mortalLock) Get(ctx context.Context) (leaderelection.Record, error) {
	if l.dead.Load() {
		return leaderelection.Record{}, errDead
	}
	return l.Lock.Get(ctx)
}

func (l *mortalLock) Create(ctx context.Context, r leaderelection.Record) error {
	if l.dead.Load() {
		return errDead
	}
	return l.Lock.Create(ctx, r)
}

func (l *mortalLock) Update(ctx context.Context, r leaderelection.Record) error {
	if l.dead.Load() {
		return errDead
	}
	return l.Lock.Update(ctx, r)
}

// candidate runs one election and records when it led.
type candidate struct {
	id      string
	lock    *mortalLock
	cfg     leaderelection.Config
	run     *framework.Running
	mu      sync.Mutex
	leading bool
	started time.Time
}

// Run campaigns until ctx ends, recording when the candidate leads.
func (c *candidate) Run(ctx context.Context) error {
	return leaderelection.RunWhileLeading(ctx, c.cfg, func(ctx context.Context) error {
		c.mu.Lock()
		c.leading, c.started = true, time.Now()
		c.mu.Unlock()
		<-ctx.Done()
		c.mu.Lock()
		c.leading = false
		c.mu.Unlock()
		return nil
	})
}

// halt stops the candidate and waits for its Run to return.
func (c *candidate) halt(t *testing.T) {
	t.Helper()
	require.NoError(t, c.run.Stop())
}

func (c *candidate) isLeading() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leading
}

func TestLeaderElectionFailsOver(t *testing.T) {
	const (
		leaseDuration = 2 * time.Second
		renewDeadline = 1500 * time.Millisecond
		retryPeriod   = 200 * time.Millisecond
	)
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)

	start := func(id string) *candidate {
		cd := &candidate{id: id,
			lock: &mortalLock{Lock: leaderelection.NewLeaseLock(c.Leases("kube-system"), "test-controller")}}
		cd.cfg = leaderelection.Config{
			Lock: cd.lock, Identity: id,
			LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
		}
		require.NoError(t, cd.cfg.Validate())
		cd.run = framework.Start(t, cd)
		return cd
	}
	a, b := start("candidate-a"), start("candidate-b")

	framework.Eventually(t, 10*time.Second, func() bool { return a.isLeading() || b.isLeading() }, "someone leads")
	// Exactly one leads, and keeps leading through many renewals of its lease.
	var renewals int
	var lastRenew time.Time
	framework.Eventually(t, 20*retryPeriod+5*time.Second, func() bool {
		require.NotEqual(t, a.isLeading(), b.isLeading(), "exactly one leader")
		lease, err := c.Leases("kube-system").Get(ctx, "test-controller")
		if err != nil {
			return false
		}
		if renewed := lease.GetSpec().GetRenewTime().AsTime(); renewed.After(lastRenew) {
			renewals, lastRenew = renewals+1, renewed
		}
		return renewals > 5
	}, "five renewals of the leader's lease")
	leader, standby := a, b
	if b.isLeading() {
		leader, standby = b, a
	}
	lease, err := c.Leases("kube-system").Get(ctx, "test-controller")
	require.NoError(t, err)
	require.Equal(t, leader.id, lease.GetSpec().GetHolderIdentity(), "the lease names the leader")

	// The leader dies without releasing the lease; the standby takes over once it expires.
	stopped := time.Now()
	leader.lock.dead.Store(true)
	leader.halt(t)
	framework.Eventually(t, leaseDuration+retryPeriod+2*time.Second, standby.isLeading, "standby takes over")
	standby.mu.Lock()
	took := standby.started.Sub(stopped)
	standby.mu.Unlock()
	t.Logf("failover took %s (lease %s + retry %s)", took, leaseDuration, retryPeriod)
	// The bound is lease duration plus retry period; a standby may first observe the last renewal
	// up to a retry period late, and a loaded test machine delays goroutines, hence the slack.
	require.LessOrEqual(t, took, leaseDuration+2*retryPeriod+time.Second,
		"failover within lease duration + retry period (plus scheduling slack)")
	lease, err = c.Leases("kube-system").Get(ctx, "test-controller")
	require.NoError(t, err)
	require.Equal(t, standby.id, lease.GetSpec().GetHolderIdentity())
	require.EqualValues(t, 1, lease.GetSpec().GetLeaseTransitions())
}
