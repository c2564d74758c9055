package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/leaderelection"
	"github.com/keelson-dev/keelson/test/framework"
)

// candidate runs one elector and records when it led.
type candidate struct {
	id      string
	run     *framework.Running
	mu      sync.Mutex
	leading bool
	started time.Time
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
		cd := &candidate{id: id}
		el, err := leaderelection.New(leaderelection.Config{
			Leases: c.Leases("kube-system"), Name: "test-controller", Identity: id,
			LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
			Callbacks: leaderelection.Callbacks{
				OnStartedLeading: func(ctx context.Context) {
					cd.mu.Lock()
					cd.leading, cd.started = true, time.Now()
					cd.mu.Unlock()
					<-ctx.Done()
					cd.mu.Lock()
					cd.leading = false
					cd.mu.Unlock()
				},
			},
		})
		require.NoError(t, err)
		cd.run = framework.Start(t, el)
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
