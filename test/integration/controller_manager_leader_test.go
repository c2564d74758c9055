package integration

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestControllerManagerLeaderHandsOver runs two leader-elected controller managers: exactly one
// holds the Lease kube-system/keelson-controller-manager, and a graceful stop hands it to the
// other at once rather than after the lease expires.
func TestControllerManagerLeaderHandsOver(t *testing.T) {
	cl := framework.Start(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)

	type running struct {
		srv  *cmserver.Server
		stop func() error // cancels Run and returns what it returned; idempotent
	}
	start := func() *running {
		cfg := cmserver.DefaultConfig()
		cfg.Port = 0
		cfg.APIServers = cl.Endpoints()
		cfg.ShutdownTimeout = 5 * time.Second
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
		srv, err := cmserver.New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel)).Named("controller-manager"))
		require.NoError(t, err)
		rctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(rctx) }()
		stop := sync.OnceValue(func() error {
			cancel()
			return <-done
		})
		t.Cleanup(func() { require.NoError(t, stop()) })
		return &running{srv: srv, stop: stop}
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
	if holder() == b.srv.Identity() {
		leader, standby = b, a
	}
	require.Equal(t, leader.srv.Identity(), holder())

	require.NoError(t, leader.stop(), "a graceful stop returns nil")
	// Well within the 10 s lease duration: the standby did not wait for the lease to expire.
	framework.Eventually(t, 5*time.Second, func() bool { return holder() == standby.srv.Identity() }, "the standby leads")
	lease, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
	require.NoError(t, err)
	require.EqualValues(t, 1, lease.GetSpec().GetLeaseTransitions())
}
