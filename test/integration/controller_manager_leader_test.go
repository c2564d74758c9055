package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestControllerManagerLeaderHandsOver runs two leader-elected controller managers: exactly one
// holds the Lease kube-system/keelson-controller-manager, and a graceful stop hands it to the
// other at once rather than after the lease expires.
func TestControllerManagerLeaderHandsOver(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)

	start := func() *framework.ControllerManager {
		return framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
			cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
		})
	}
	holder := func() string {
		lease, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
		if err != nil {
			return ""
		}
		return lease.GetSpec().GetHolderIdentity()
	}

	a, b := start(), start()
	framework.Eventually(t, 10*time.Second, func() bool { h := holder(); return h != "" }, "one controller manager leads")
	leader, standby := a, b
	if holder() == b.Server.Identity() {
		leader, standby = b, a
	}
	require.Equal(t, leader.Server.Identity(), holder())

	require.NoError(t, leader.Stop(), "a graceful stop returns nil")
	// Well within the 10 s lease duration: the standby did not wait for the lease to expire.
	framework.Eventually(t, 5*time.Second, func() bool { return holder() == standby.Server.Identity() }, "the standby leads")
	lease, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
	require.NoError(t, err)
	require.EqualValues(t, 1, lease.GetSpec().GetLeaseTransitions())
}
