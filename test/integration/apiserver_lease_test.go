package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/test/framework"
)

// leaseDuration and leaseRenew are the replicas' identity lease timing in the test: short, so
// that a dead replica drops out quickly.
const (
	leaseDuration = 3 * time.Second
	leaseRenew    = time.Second
)

// leaseReplica is one apiserver of the test, reaching the shared etcd through its own proxy so
// that the test can cut it off, as a crash would: it then neither renews nor releases its lease.
type leaseReplica struct {
	etcd *framework.Proxy
	srv  *server.Server
	run  *framework.Running
}

// start runs a new server for r and waits until it is ready.
func (r *leaseReplica) start(t *testing.T, lg *zap.Logger) {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.ServePlainText = true
	cfg.AuthorizationModes = []string{server.ModeAlwaysAllow}
	cfg.Port = 0
	cfg.DataDir = ""
	cfg.EtcdServers = []string{"http://" + r.etcd.Addr()}
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.CompactionInterval = 0
	cfg.ServiceClusterIPRange = "127.96.0.0/16"
	cfg.IdentityLeaseDuration, cfg.IdentityLeaseRenewInterval = leaseDuration, leaseRenew
	srv, err := server.New(cfg, lg)
	require.NoError(t, err)
	r.srv, r.run = srv, framework.Start(t, srv)
	r.run.WaitFor(30*time.Second, func() bool {
		select {
		case <-srv.Ready():
			return true
		default:
			return false
		}
	}, "apiserver ready")
}

// TestKubernetesEndpointsListTheLiveReplicas runs three apiservers on one etcd: the kubernetes
// Endpoints list the three, each holding an identity lease; a replica cut off from etcd (dead to
// the others) drops out within its lease, one stopped cleanly drops out at once, and each comes
// back when started again.
func TestKubernetesEndpointsListTheLiveReplicas(t *testing.T) {
	framework.CheckLeaks(t, framework.KeelsonCode...)
	ctx := testContext(t)
	_, etcdURL := etcdtest.Start(t)
	lg := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	replicas := make([]*leaseReplica, 3)
	for i := range replicas {
		replicas[i] = &leaseReplica{etcd: framework.NewProxy(t, strings.TrimPrefix(etcdURL, "http://"))}
		replicas[i].start(t, lg.Named(fmt.Sprintf("apiserver-%d", i)))
	}
	c, err := client.New(client.Config{Endpoints: []string{replicas[0].srv.Addr().String()}, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer func() { _ = c.Close() }()

	listed := func() []string {
		ep, err := c.Endpoints("default").Get(ctx, "kubernetes")
		require.NoError(t, err)
		var out []string
		for _, sub := range ep.GetSubsets() {
			for _, a := range sub.GetAddresses() {
				out = append(out, fmt.Sprintf("%s:%d", a.GetIp(), sub.GetPorts()[0].GetPort()))
			}
		}
		slices.Sort(out)
		return out
	}
	live := func(rs ...*leaseReplica) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.srv.Addr().String())
		}
		slices.Sort(out)
		return out
	}
	waitListed := func(within time.Duration, want []string, msg string) time.Duration {
		t.Helper()
		start := time.Now()
		require.Eventually(t, func() bool { return slices.Equal(listed(), want) }, within, 20*time.Millisecond,
			"%s: want %v, have %v", msg, want, listed())
		return time.Since(start)
	}

	// Each replica lists itself at start; the first ones see the later ones at their next renewal.
	waitListed(2*leaseRenew+time.Second, live(replicas...), "all three listed")
	leases, err := c.Leases("kube-system").List(ctx, client.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
	require.NoError(t, err)
	require.Len(t, leases.Items, 3, "one identity lease per replica")
	for _, l := range leases.Items {
		require.True(t, strings.HasPrefix(l.GetMetadata().GetName(), "apiserver-"), l.GetMetadata().GetName())
		require.Equal(t, int32(leaseDuration/time.Second), l.GetSpec().GetLeaseDurationSeconds())
	}

	// Replica 2 dies: cut off from etcd, it neither renews nor releases its lease. It drops out
	// within the lease (its last renewal was at most leaseRenew before the cut).
	dead := replicas[2]
	dead.etcd.Cut()
	took := waitListed(leaseDuration+time.Second, live(replicas[0], replicas[1]), "the dead replica drops out")
	t.Logf("a dead replica left the kubernetes Endpoints %s after it was cut off (lease %s)", took.Round(time.Millisecond), leaseDuration)
	leases, err = c.Leases("kube-system").List(ctx, client.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
	require.NoError(t, err)
	require.Len(t, leases.Items, 2, "its expired lease is deleted")
	// Its shutdown cannot reach etcd; it still ends, within the shutdown and leave timeouts.
	require.NoError(t, dead.run.Stop())

	// It comes back (on a new port, so under a new lease).
	dead.etcd.Resume(strings.TrimPrefix(etcdURL, "http://"))
	dead.start(t, lg.Named("apiserver-2-again"))
	waitListed(2*leaseRenew+time.Second, live(replicas...), "the restarted replica is back")

	// Replica 1 stops cleanly: it takes itself out before it returns.
	require.NoError(t, replicas[1].run.Stop())
	require.Equal(t, live(replicas[0], replicas[2]), listed(), "a replica that stopped cleanly is out at once")
	replicas[1].start(t, lg.Named("apiserver-1-again"))
	waitListed(2*leaseRenew+time.Second, live(replicas...), "the replica started again is back")

	for _, r := range replicas[1:] {
		require.NoError(t, r.run.Stop())
	}
	require.Equal(t, live(replicas[0]), listed(), "the replicas that stopped are out")
}
