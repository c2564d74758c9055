package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// serviceBase is the first usable address of the tests' service range, 127.96.0.0/16.
var serviceBase = netip.MustParseAddr("127.96.0.1")

func nodePortService(name string, nodePort int32) *corev1.Service {
	return &corev1.Service{Metadata: meta(name, nil), Spec: &corev1.ServiceSpec{
		Type:     "NodePort",
		Selector: map[string]string{"app": name},
		Ports:    []*corev1.ServicePort{{Port: 80, NodePort: nodePort}},
	}}
}

func clusterIPService(name, ip string) *corev1.Service {
	return &corev1.Service{Metadata: meta(name, nil), Spec: &corev1.ServiceSpec{
		ClusterIp: ip,
		Selector:  map[string]string{"app": name},
		Ports:     []*corev1.ServicePort{{Port: 80}},
	}}
}

// storedRange reads a range's bitmap from etcd and returns its set offsets.
func storedRange(t *testing.T, cli *clientv3.Client, key string) map[int]bool {
	t.Helper()
	resp, err := cli.Get(testContext(t), key)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1, "%s is stored", key)
	var rec struct {
		Range string `json:"range"`
		Data  []byte `json:"data"`
	}
	require.NoError(t, json.Unmarshal(resp.Kvs[0].Value, &rec))
	set := map[int]bool{}
	for i, b := range rec.Data {
		for bit := 0; bit < 8; bit++ {
			if b&(1<<bit) != 0 {
				set[i*8+bit] = true
			}
		}
	}
	return set
}

// heldOffsets returns the IP and node port offsets the stored services hold, failing on a value
// held twice.
func heldOffsets(t *testing.T, c *client.Client) (ips, ports map[int]bool) {
	t.Helper()
	list, err := c.Services("").List(testContext(t), client.ListOptions{})
	require.NoError(t, err)
	ips, ports = map[int]bool{}, map[int]bool{}
	for _, svc := range list.Items {
		if ip := svc.GetSpec().GetClusterIp(); ip != "" && ip != "None" {
			a := netip.MustParseAddr(ip)
			require.True(t, netip.MustParsePrefix("127.96.0.0/16").Contains(a), "%s in range", ip)
			off := ipOffset(a)
			require.False(t, ips[off], "IP %s handed out twice", ip)
			ips[off] = true
		}
		for _, p := range svc.GetSpec().GetPorts() {
			if np := int(p.GetNodePort()); np != 0 {
				require.False(t, ports[np-30000], "node port %d handed out twice", np)
				ports[np-30000] = true
			}
		}
	}
	return ips, ports
}

func ipOffset(a netip.Addr) int {
	b, base := a.As4(), serviceBase.As4()
	return int(b[2]-base[2])*256 + int(b[3]) - int(base[3])
}

// requireNoLeak checks that the stored bitmaps mark exactly what the stored services hold.
func requireNoLeak(t *testing.T, cli *clientv3.Client, c *client.Client) {
	t.Helper()
	ips, ports := heldOffsets(t, c)
	require.Equal(t, ips, storedRange(t, cli, "/registry/ranges/serviceips"), "IP bitmap == services' IPs")
	require.Equal(t, ports, storedRange(t, cli, "/registry/ranges/servicenodeports"), "port bitmap == services' node ports")
}

func TestServiceAllocationAcrossTwoAPIServers(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2})
	ctx := testContext(t)
	clients := []*client.Client{cl.Client(cl.Endpoint(0)), cl.Client(cl.Endpoint(1))}
	const n, workers = 1000, 32

	names := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				if _, err := clients[i%2].Services("default").Create(ctx, nodePortService(fmt.Sprintf("svc-%d", i), 0)); err != nil {
					errs <- fmt.Errorf("create svc-%d: %w", i, err)
					return
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		names <- i
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	cli := cl.APIServer(0).EtcdClient()
	ips, ports := heldOffsets(t, clients[0])
	require.Len(t, ips, n+1, "every service and the kubernetes service have their own IP")
	require.True(t, ips[0], "the kubernetes service holds the range's first address")
	require.Len(t, ports, n, "every service has its own node port")
	requireNoLeak(t, cli, clients[0])

	k, err := clients[1].Services("default").Get(ctx, "kubernetes")
	require.NoError(t, err)
	require.Equal(t, serviceBase.String(), k.GetSpec().GetClusterIp())
	require.Equal(t, []string{"IPv4"}, k.GetSpec().GetIpFamilies())
	require.Equal(t, "SingleStack", k.GetSpec().GetIpFamilyPolicy())
	ep, err := clients[0].Endpoints("default").Get(ctx, "kubernetes")
	require.NoError(t, err)
	var addrs []string
	for _, sub := range ep.GetSubsets() {
		for _, a := range sub.GetAddresses() {
			addrs = append(addrs, fmt.Sprintf("%s:%d", a.GetIp(), sub.GetPorts()[0].GetPort()))
		}
	}
	require.ElementsMatch(t, []string{cl.APIServer(0).Addr().String(), cl.APIServer(1).Addr().String()}, addrs,
		"each apiserver lists itself in the kubernetes endpoints")

	// Deleting frees: the values of deleted services can be asked for again, through the other
	// replica.
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("svc-%d", i)
		svc, err := clients[0].Services("default").Get(ctx, name)
		require.NoError(t, err)
		require.NoError(t, clients[0].Services("default").Delete(ctx, name))
		again := nodePortService(name, svc.GetSpec().GetPorts()[0].GetNodePort())
		again.Spec.ClusterIp = svc.GetSpec().GetClusterIp()
		got, err := clients[1].Services("default").Create(ctx, again)
		require.NoError(t, err, "re-create %s with its old IP and node port", name)
		require.Equal(t, svc.GetSpec().GetClusterIp(), got.GetSpec().GetClusterIp())
	}
	requireNoLeak(t, cli, clients[0])
}

func TestServiceAllocationRequestsAndTypeChanges(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(cfg *server.Config) {
		cfg.ServiceClusterIPRange = "127.96.0.0/29" // .1-.6; the kubernetes service takes .1
		cfg.ServiceNodePortRange = "30000-30002"
	}})
	ctx := testContext(t)
	c := cl.Client()
	svcs := c.Services("default")
	cli := cl.APIServer(0).EtcdClient()

	_, err := svcs.Create(ctx, clusterIPService("taken", "127.96.0.1"))
	require.True(t, apierrors.IsInvalid(err), "%v", err)
	require.ErrorContains(t, err, "spec.clusterIPs: Invalid value")
	require.ErrorContains(t, err, "failed to allocate IP 127.96.0.1: provided IP is already allocated")
	_, err = svcs.Create(ctx, clusterIPService("outside", "127.97.0.1"))
	require.True(t, apierrors.IsInvalid(err), "%v", err)
	require.ErrorContains(t, err, "provided IP is not in the valid range. The range of valid IPs is 127.96.0.0/29")

	headless, err := svcs.Create(ctx, clusterIPService("headless", "None"))
	require.NoError(t, err)
	require.Equal(t, []string{"None"}, headless.GetSpec().GetClusterIps(), "headless gets no address")

	asked, err := svcs.Create(ctx, clusterIPService("asked", "127.96.0.6"))
	require.NoError(t, err)
	require.Equal(t, []string{"127.96.0.6"}, asked.GetSpec().GetClusterIps())
	require.Equal(t, []string{"IPv4"}, asked.GetSpec().GetIpFamilies())
	require.Equal(t, "SingleStack", asked.GetSpec().GetIpFamilyPolicy())

	np, err := svcs.Create(ctx, nodePortService("np", 30001))
	require.NoError(t, err)
	require.Equal(t, int32(30001), np.GetSpec().GetPorts()[0].GetNodePort())
	_, err = svcs.Create(ctx, nodePortService("np-taken", 30001))
	require.True(t, apierrors.IsInvalid(err), "%v", err)
	require.ErrorContains(t, err, "spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated")
	_, err = svcs.Create(ctx, nodePortService("np-outside", 31000))
	require.ErrorContains(t, err, "provided port is not in the valid range. The range of valid ports is 30000-30002")

	// The range fills: .1 kubernetes, .6 asked, np, then three more.
	for _, name := range []string{"a", "b", "c"} {
		_, err := svcs.Create(ctx, clusterIPService(name, ""))
		require.NoError(t, err, name)
	}
	_, err = svcs.Create(ctx, clusterIPService("full", ""))
	require.Error(t, err)
	require.ErrorContains(t, err, "failed to allocate a serviceIP: range is full")

	// clusterIP may not change once set.
	cur, err := svcs.Get(ctx, "asked")
	require.NoError(t, err)
	cur.Spec.ClusterIp, cur.Spec.ClusterIps = "127.96.0.5", []string{"127.96.0.5"}
	_, err = svcs.Update(ctx, cur)
	require.True(t, apierrors.IsInvalid(err), "%v", err)
	require.ErrorContains(t, err, "spec.clusterIP: Invalid value: \"127.96.0.5\": field is immutable")

	// ClusterIP -> ExternalName frees the IP: the full range takes one more service.
	cur, err = svcs.Get(ctx, "asked")
	require.NoError(t, err)
	cur.Spec.Type, cur.Spec.ExternalName = "ExternalName", "example.com"
	ext, err := svcs.Update(ctx, cur)
	require.NoError(t, err)
	require.Empty(t, ext.GetSpec().GetClusterIp())
	again, err := svcs.Create(ctx, clusterIPService("full", "127.96.0.6"))
	require.NoError(t, err, "the IP the ExternalName service gave back")
	require.Equal(t, "127.96.0.6", again.GetSpec().GetClusterIp())

	// NodePort -> ClusterIP frees the node port.
	cur, err = svcs.Get(ctx, "np")
	require.NoError(t, err)
	cur.Spec.Type = "ClusterIP"
	plain, err := svcs.Update(ctx, cur)
	require.NoError(t, err)
	require.Zero(t, plain.GetSpec().GetPorts()[0].GetNodePort())
	require.Equal(t, np.GetSpec().GetClusterIp(), plain.GetSpec().GetClusterIp(), "the IP stays")
	require.NoError(t, svcs.Delete(ctx, "c"), "make room for an IP")
	_, err = svcs.Create(ctx, nodePortService("np-again", 30001))
	require.NoError(t, err, "the node port the ClusterIP service gave back")
	// ClusterIP -> NodePort allocates one.
	cur, err = svcs.Get(ctx, "np")
	require.NoError(t, err)
	cur.Spec.Type = "NodePort"
	back, err := svcs.Update(ctx, cur)
	require.NoError(t, err)
	require.NotZero(t, back.GetSpec().GetPorts()[0].GetNodePort())
	requireNoLeak(t, cli, c)

	// A failed create gives back what it took.
	require.NoError(t, svcs.Delete(ctx, "b"), "make room for an IP")
	_, err = svcs.Create(ctx, nodePortService("np-again", 0))
	require.True(t, apierrors.IsAlreadyExists(err), "%v", err)
	requireNoLeak(t, cli, c)

	// Allocations survive a restart.
	before, _ := heldOffsets(t, c)
	cl.StopAPIServer(0)
	cl.StartAPIServer(0)
	cli = cl.APIServer(0).EtcdClient() // the old server's client closed with it
	after, _ := heldOffsets(t, c)
	require.Equal(t, before, after)
	requireNoLeak(t, cli, c)
	_, err = svcs.Create(ctx, clusterIPService("after-restart", ""))
	require.NoError(t, err, "the address b gave back")
	_, err = svcs.Create(ctx, clusterIPService("after-restart-2", ""))
	require.ErrorContains(t, err, "range is full", "the restarted apiserver knows the range is full")

	// Deleting every service frees everything but the kubernetes service's address.
	list, err := svcs.List(ctx, client.ListOptions{})
	require.NoError(t, err)
	for _, svc := range list.Items {
		if svc.GetMetadata().GetName() != "kubernetes" {
			require.NoError(t, svcs.Delete(ctx, svc.GetMetadata().GetName()))
		}
	}
	require.Equal(t, map[int]bool{0: true}, storedRange(t, cli, "/registry/ranges/serviceips"))
	require.Empty(t, storedRange(t, cli, "/registry/ranges/servicenodeports"))
}

func TestServiceAllocationRepairFreesLeaks(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(cfg *server.Config) {
		cfg.RepairInterval = 100 * time.Millisecond
	}})
	ctx := testContext(t)
	c := cl.Client()
	cli := cl.APIServer(0).EtcdClient()
	_, err := c.Services("default").Create(ctx, nodePortService("kept", 0))
	require.NoError(t, err)
	// Leak a service behind the allocator's back, as a crash between release and delete would:
	// remove the stored service directly.
	_, err = c.Services("default").Create(ctx, nodePortService("leaked", 0))
	require.NoError(t, err)
	_, err = cli.Delete(ctx, "/registry/services/default/leaked")
	require.NoError(t, err)
	framework.Eventually(t, 30*time.Second, func() bool {
		ips, ports := heldOffsets(t, c)
		return maps.Equal(ips, storedRange(t, cli, "/registry/ranges/serviceips")) &&
			maps.Equal(ports, storedRange(t, cli, "/registry/ranges/servicenodeports"))
	}, "the repair loop frees the leaked IP and node port")
}
