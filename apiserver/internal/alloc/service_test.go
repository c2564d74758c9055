package alloc

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// startEtcd returns a client of a throwaway etcd.
func startEtcd(t *testing.T) *clientv3.Client {
	t.Helper()
	e, _ := etcdtest.Start(t)
	cli := v3client.New(e.Server)
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// newServices returns a hook on cidr and ports stored in cli, as one apiserver has it.
func newServices(t *testing.T, cli *clientv3.Client, cidr, ports string) *Services {
	t.Helper()
	ipr, err := ParseIPRange(cidr)
	require.NoError(t, err)
	pr, err := ParsePortRange(ports)
	require.NoError(t, err)
	return &Services{
		IPs:       NewAllocator(cli, "/registry/ranges/serviceips", ipr.String(), ipr.Size()),
		IPRange:   ipr,
		Ports:     NewAllocator(cli, "/registry/ranges/servicenodeports", pr.String(), pr.Size),
		PortRange: pr,
		Logger:    zap.NewNop(),
	}
}

func svc(name, typ, ip string, nodePorts ...int32) *corev1.Service {
	s := &corev1.Service{Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &corev1.ServiceSpec{Type: typ, ClusterIp: ip}}
	for i, np := range nodePorts {
		s.Spec.Ports = append(s.Spec.Ports, &corev1.ServicePort{Port: int32(80 + i), Protocol: "TCP", NodePort: np})
	}
	if len(nodePorts) == 0 {
		s.Spec.Ports = []*corev1.ServicePort{{Port: 80, Protocol: "TCP"}}
	}
	return s
}

// create reserves for s as a create would and settles with stored.
func create(t *testing.T, h *Services, s *corev1.Service, stored bool) error {
	t.Helper()
	settle, err := h.Reserve(context.Background(), s, nil)
	if err == nil {
		settle(context.Background(), stored)
	}
	return err
}

// used returns the offsets a's stored bitmap marks.
func used(t *testing.T, a *Allocator) []int {
	t.Helper()
	b, _, err := a.Snapshot(context.Background())
	require.NoError(t, err)
	return b.Offsets()
}

func TestReserveOnCreate(t *testing.T) {
	tests := []struct {
		name      string
		svc       *corev1.Service
		wantErr   string
		wantIPs   []string
		wantPorts bool
	}{
		{name: "dynamic IP", svc: svc("a", "ClusterIP", ""), wantIPs: []string{"127.96.0.3"}},
		{name: "requested IP", svc: svc("a", "ClusterIP", "127.96.0.3"), wantIPs: []string{"127.96.0.3"}},
		{name: "requested IP taken", svc: svc("a", "ClusterIP", "127.96.0.1"),
			wantErr: `spec.clusterIPs: Invalid value: ["127.96.0.1"]: failed to allocate IP 127.96.0.1: provided IP is already allocated`},
		{name: "requested IP out of range", svc: svc("a", "ClusterIP", "127.96.1.1"),
			wantErr: "failed to allocate IP 127.96.1.1: provided IP is not in the valid range. The range of valid IPs is 127.96.0.0/29"},
		{name: "headless", svc: svc("a", "ClusterIP", "None"), wantIPs: []string{"None"}},
		{name: "external name", svc: &corev1.Service{Metadata: &metav1.ObjectMeta{Name: "a"},
			Spec: &corev1.ServiceSpec{Type: "ExternalName", ExternalName: "example.com"}}},
		{name: "node port", svc: svc("a", "NodePort", "", 0, 30002), wantIPs: []string{"127.96.0.3"}, wantPorts: true},
		{name: "node port taken", svc: svc("a", "NodePort", "", 30001),
			wantErr: "spec.ports[0].nodePort: Invalid value: 30001: provided port is already allocated"},
		{name: "node port out of range", svc: svc("a", "NodePort", "", 40000),
			wantErr: "spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-30002"},
		{name: "IPv6 family", svc: func() *corev1.Service {
			s := svc("a", "ClusterIP", "")
			s.Spec.IpFamilies = []string{"IPv6"}
			return s
		}(), wantErr: `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newServices(t, startEtcd(t), "127.96.0.0/29", "30000-30002")
			// .1, .2, .4, .5, .6 and port 30001 are taken already: only .3 is free.
			for i, ip := range []string{"127.96.0.1", "127.96.0.2", "127.96.0.4", "127.96.0.6"} {
				require.NoError(t, create(t, h, svc(fmt.Sprint("taken-", i), "ClusterIP", ip), true))
			}
			require.NoError(t, create(t, h, svc("np", "NodePort", "127.96.0.5", 30001), true))
			beforeIPs, beforePorts := used(t, h.IPs), used(t, h.Ports)
			err := create(t, h, tt.svc, true)
			if tt.wantErr != "" {
				require.Error(t, err)
				require.True(t, apierrors.IsInvalid(err), "%v", err)
				require.Contains(t, err.Error(), tt.wantErr)
				require.Equal(t, beforeIPs, used(t, h.IPs), "a refused service takes no IP")
				require.Equal(t, beforePorts, used(t, h.Ports), "a refused service takes no port")
				return
			}
			require.NoError(t, err)
			spec := tt.svc.GetSpec()
			require.Equal(t, tt.wantIPs, spec.GetClusterIps())
			if len(tt.wantIPs) > 0 {
				require.Equal(t, tt.wantIPs[0], spec.GetClusterIp())
				require.Equal(t, []string{"IPv4"}, spec.GetIpFamilies())
				require.Equal(t, "SingleStack", spec.GetIpFamilyPolicy())
			} else {
				require.Empty(t, spec.GetIpFamilies())
			}
			if tt.wantPorts {
				require.ElementsMatch(t, []int32{30000, 30002}, []int32{spec.Ports[0].GetNodePort(), spec.Ports[1].GetNodePort()},
					"port 30002 as asked, the only other free one for the port that asked for none")
			}
		})
	}
}

func TestReserveGivesBackOnFailedWrite(t *testing.T) {
	h := newServices(t, startEtcd(t), "127.96.0.0/29", "30000-30003")
	require.NoError(t, create(t, h, svc("a", "NodePort", "", 0, 0), false))
	require.Empty(t, used(t, h.IPs))
	require.Empty(t, used(t, h.Ports))
}

func TestReserveOnUpdate(t *testing.T) {
	ctx := context.Background()
	h := newServices(t, startEtcd(t), "127.96.0.0/29", "30000-30003")
	old := svc("a", "NodePort", "", 0)
	require.NoError(t, create(t, h, old, true))
	ip, port := old.Spec.ClusterIp, old.Spec.Ports[0].NodePort

	// Unchanged: nothing taken or given back.
	next := svc("a", "NodePort", ip, port)
	settle, err := h.Reserve(ctx, next, old)
	require.NoError(t, err)
	settle(ctx, true)
	require.Len(t, used(t, h.IPs), 1)
	require.Len(t, used(t, h.Ports), 1)

	// NodePort -> ClusterIP gives back the node port once stored, not before.
	plain := svc("a", "ClusterIP", ip)
	settle, err = h.Reserve(ctx, plain, next)
	require.NoError(t, err)
	require.Len(t, used(t, h.Ports), 1, "held until the write is decided")
	settle(ctx, false)
	require.Len(t, used(t, h.Ports), 1, "a failed write keeps the old service's port")
	settle, err = h.Reserve(ctx, plain, next)
	require.NoError(t, err)
	settle(ctx, true)
	require.Empty(t, used(t, h.Ports))

	// ClusterIP -> ExternalName gives back the IP.
	ext := &corev1.Service{Metadata: plain.Metadata, Spec: &corev1.ServiceSpec{Type: "ExternalName", ExternalName: "example.com"}}
	settle, err = h.Reserve(ctx, ext, plain)
	require.NoError(t, err)
	settle(ctx, true)
	require.Empty(t, used(t, h.IPs))

	// ExternalName -> ClusterIP takes one again.
	back := svc("a", "ClusterIP", "")
	settle, err = h.Reserve(ctx, back, ext)
	require.NoError(t, err)
	settle(ctx, true)
	require.NotEmpty(t, back.Spec.ClusterIp)
	require.Len(t, used(t, h.IPs), 1)

	// Delete gives back everything.
	h.Released(ctx, back)
	require.Empty(t, used(t, h.IPs))
}

func TestTwoAllocatorsNeverHandOutOneValueTwice(t *testing.T) {
	cli := startEtcd(t)
	// Two hooks on one etcd stand for two apiservers, each with its own cached bitmap.
	hooks := []*Services{newServices(t, cli, "127.96.0.0/24", "30000-30299"), newServices(t, cli, "127.96.0.0/24", "30000-30299")}
	const n = 254
	ips := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := svc(fmt.Sprint(i), "NodePort", "", 0)
			if err := create(t, hooks[i%2], s, true); err != nil {
				errs <- err
				return
			}
			ips[i] = s.Spec.ClusterIp
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	seen := map[string]bool{}
	for _, ip := range ips {
		require.False(t, seen[ip], "%s twice", ip)
		seen[ip] = true
	}
	require.Len(t, used(t, hooks[0].IPs), n, "the whole range is taken")
	err := create(t, hooks[1], svc("full", "ClusterIP", ""), true)
	require.ErrorContains(t, err, "failed to allocate a serviceIP: range is full")
}
