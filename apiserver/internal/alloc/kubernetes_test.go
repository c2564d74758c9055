package alloc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// startRegistry runs a registry on a throwaway etcd, with the system namespaces, until the test
// ends.
func startRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	return startRegistryOn(t, startEtcd(t), nil)
}

// startRegistryOn runs a registry with hooks on cli, with the system namespaces, until the test
// ends: registries on one etcd are replicas of one cluster.
func startRegistryOn(t *testing.T, cli *clientv3.Client, hooks map[scheme.GroupVersionResource]registry.WriteHook) *registry.Registry {
	t.Helper()
	sch := scheme.Builtin()
	reg, err := registry.New(registry.Config{Scheme: sch, Storage: storage.New(cli, storage.NewCodec(sch), storage.Options{}),
		Hooks: hooks, Logger: zap.NewNop()})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- reg.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.NoError(t, reg.WaitReady(ctx))
	require.NoError(t, reg.EnsureSystemNamespaces(ctx))
	return reg
}

// replica returns the kubernetes Service reconciler of an apiserver advertising endpoint ip:port.
func replica(reg *registry.Registry, clk clock.Clock, ip string, port int32) *Kubernetes {
	return &Kubernetes{Registry: reg, ClusterIP: "127.96.0.1", Address: ip, Port: port, Hostname: "master-" + ip,
		Interval: 5 * time.Second, LeaseDuration: 15 * time.Second, Clock: clk, Logger: zap.NewNop()}
}

// listed returns the endpoints (ip:port) the kubernetes Endpoints list, in their order.
func listed(t *testing.T, reg *registry.Registry) []string {
	t.Helper()
	st, err := reg.Store(endpointsGVR)
	require.NoError(t, err)
	obj, err := st.Get(context.Background(), "default", "kubernetes", registry.GetOptions{})
	require.NoError(t, err)
	var out []string
	for _, sub := range obj.(*corev1.Endpoints).GetSubsets() {
		for _, a := range sub.GetAddresses() {
			out = append(out, fmt.Sprintf("%s:%d", a.GetIp(), sub.GetPorts()[0].GetPort()))
		}
	}
	return out
}

// leaseOf returns the identity lease of k, or nil when there is none.
func leaseOf(t *testing.T, reg *registry.Registry, k *Kubernetes) *coordinationv1.Lease {
	t.Helper()
	st, err := reg.Store(leasesGVR)
	require.NoError(t, err)
	obj, err := st.Get(context.Background(), LeaseNamespace, LeaseName(k.endpoint()), registry.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	require.NoError(t, err)
	return obj.(*coordinationv1.Lease)
}

func TestLeaseName(t *testing.T) {
	a, b := LeaseName("127.0.0.1:6443"), LeaseName("127.0.0.1:6444")
	require.Equal(t, a, LeaseName("127.0.0.1:6443"), "stable: a restarted replica takes its lease back")
	require.NotEqual(t, a, b, "two replicas on one host hold two leases")
	for _, name := range []string{a, b} {
		require.Regexp(t, `^apiserver-[a-z2-7]{26}$`, name)
		require.Empty(t, validation.IsDNS1123Label(name))
	}
}

// TestEndpointsListTheLiveReplicas runs three replicas' reconcilers on a fake clock: the
// Endpoints list all three, a replica that stops renewing stays listed until its lease runs out,
// then drops out and its lease is deleted, and a replica that leaves cleanly drops out at once.
func TestEndpointsListTheLiveReplicas(t *testing.T) {
	ctx := context.Background()
	reg := startRegistry(t)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	a, b, c := replica(reg, clk, "127.0.0.1", 6443), replica(reg, clk, "127.0.0.2", 6443), replica(reg, clk, "127.0.0.3", 7443)
	for _, k := range []*Kubernetes{a, b, c} {
		require.NoError(t, k.Reconcile(ctx))
	}
	require.NoError(t, a.Reconcile(ctx), "a sees the replicas that started after it")
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.2:6443", "127.0.0.3:7443"}, listed(t, reg),
		"one subset per port, addresses sorted")

	l := leaseOf(t, reg, c)
	require.NotNil(t, l)
	require.Equal(t, IdentityValue, l.GetMetadata().GetLabels()[IdentityLabel])
	require.Equal(t, "master-127.0.0.3", l.GetMetadata().GetLabels()[HostnameLabel])
	require.Equal(t, "127.0.0.3:7443", l.GetMetadata().GetAnnotations()[EndpointAnnotation])
	require.Equal(t, l.GetMetadata().GetName(), l.GetSpec().GetHolderIdentity())
	require.Equal(t, int32(15), l.GetSpec().GetLeaseDurationSeconds())
	require.True(t, clk.Now().Equal(l.GetSpec().GetRenewTime().AsTime()), "renewed now")

	// c dies: it renews no more. It stays listed while its lease lasts...
	for range 2 {
		clk.Step(5 * time.Second)
		require.NoError(t, a.Reconcile(ctx))
		require.NoError(t, b.Reconcile(ctx))
	}
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.2:6443", "127.0.0.3:7443"}, listed(t, reg))
	clk.Step(2 * time.Second)
	wait, err := a.reconcile(ctx)
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, wait, "a wakes when c's lease is due, before its next renewal")
	require.NotNil(t, leaseOf(t, reg, c))

	// ...and drops out once it has run out, with its lease.
	clk.Step(wait)
	require.NoError(t, a.Reconcile(ctx))
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.2:6443"}, listed(t, reg))
	require.Nil(t, leaseOf(t, reg, c), "the expired lease is deleted")

	// c comes back.
	require.NoError(t, c.Reconcile(ctx))
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.2:6443", "127.0.0.3:7443"}, listed(t, reg))

	// b leaves cleanly: out at once.
	b.leave(ctx)
	require.Nil(t, leaseOf(t, reg, b))
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.3:7443"}, listed(t, reg))
	require.NoError(t, a.Reconcile(ctx))
	require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.3:7443"}, listed(t, reg), "a does not bring b back")
}

// TestRunDropsADeadReplicaWhenItsLeaseIsDue runs a's loop on a fake clock next to a replica that
// dies at once: a drops it when its lease is due, not at a's next renewal after that, and takes
// itself out when its context ends.
func TestRunDropsADeadReplicaWhenItsLeaseIsDue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := startRegistry(t)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	a, dead := replica(reg, clk, "127.0.0.1", 6443), replica(reg, clk, "127.0.0.2", 6443)
	// The dead replica renewed 2 s before a started: its lease is due 13 s into a's run, between
	// a's renewals at 10 s and 15 s.
	clk.Step(-2 * time.Second)
	require.NoError(t, dead.Reconcile(ctx))
	clk.Step(2 * time.Second)
	require.NoError(t, a.Reconcile(ctx))

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	started := clk.Now()
	for _, at := range []time.Duration{5 * time.Second, 10 * time.Second} {
		require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
		clk.SetTime(started.Add(at))
		require.Eventually(t, func() bool { return leaseOf(t, reg, a).GetSpec().GetRenewTime().AsTime().Equal(clk.Now()) },
			10*time.Second, 5*time.Millisecond, "a renews at %s", at)
		require.Equal(t, []string{"127.0.0.1:6443", "127.0.0.2:6443"}, listed(t, reg), "at %s", at)
	}
	require.NoError(t, clk.BlockUntilWaiters(ctx, 1))
	clk.SetTime(started.Add(13 * time.Second))
	require.Eventually(t, func() bool { return len(listed(t, reg)) == 1 }, 10*time.Second, 5*time.Millisecond,
		"the dead replica drops out when its lease is due")
	require.Equal(t, []string{"127.0.0.1:6443"}, listed(t, reg))
	require.Nil(t, leaseOf(t, reg, dead))

	stop()
	require.NoError(t, <-done)
	require.Nil(t, leaseOf(t, reg, a), "a releases its lease when it stops")
	require.Empty(t, listed(t, reg), "and takes itself out of the Endpoints")
}

// TestReplicasStartingTogetherAllReconcile starts replicas' reconcilers at the same moment, as
// apiservers started together do: all but one lose the race to create the kubernetes Service
// (on its cluster IP or its name), and each still reconciles and is listed.
func TestReplicasStartingTogetherAllReconcile(t *testing.T) {
	ctx := context.Background()
	cli := startEtcd(t)
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	var (
		ks  []*Kubernetes
		reg *registry.Registry
	)
	for i := range 3 {
		// Each replica allocates cluster IPs itself, as apiservers sharing an etcd do.
		reg = startRegistryOn(t, cli, map[scheme.GroupVersionResource]registry.WriteHook{
			servicesGVR: newServices(t, cli, "127.96.0.0/16", "30000-32767")})
		ks = append(ks, replica(reg, clk, fmt.Sprintf("127.0.0.%d", i+1), 6443))
	}
	start := make(chan struct{})
	errs := make(chan error, len(ks))
	for _, k := range ks {
		go func() {
			<-start
			errs <- k.Reconcile(ctx)
		}()
	}
	close(start)
	for range ks {
		require.NoError(t, <-errs)
	}
	require.NoError(t, ks[0].Reconcile(ctx))
	require.Len(t, listed(t, reg), len(ks))
}
