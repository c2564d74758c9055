package userspace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/proxy/internal/backendtest"
)

// fakeSource is an in-memory Source whose changes the test makes.
type fakeSource struct {
	mu        sync.Mutex
	services  map[string]*corev1.Service
	endpoints map[string]*corev1.Endpoints
}

func newFakeSource() *fakeSource {
	return &fakeSource{services: map[string]*corev1.Service{}, endpoints: map[string]*corev1.Endpoints{}}
}

func (s *fakeSource) Services() []*corev1.Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*corev1.Service, 0, len(s.services))
	for _, svc := range s.services {
		out = append(out, svc)
	}
	return out
}

func (s *fakeSource) Endpoints(ns, name string) (*corev1.Endpoints, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.endpoints[ns+"/"+name]
	return e, ok
}

func (s *fakeSource) setService(svc *corev1.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[svc.GetMetadata().GetNamespace()+"/"+svc.GetMetadata().GetName()] = svc
}

func (s *fakeSource) deleteService(ns, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.services, ns+"/"+name)
}

// setEndpoints makes ns/name's Endpoints: one subset per port name, with the ready addresses of
// backends ("ip:port"; the port must be the same for a port name).
func (s *fakeSource) setEndpoints(ns, name string, ports map[string][]string) {
	e := &corev1.Endpoints{Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name}}
	for portName, backends := range ports {
		for _, b := range backends {
			host, port, _ := net.SplitHostPort(b)
			n, _ := strconv.Atoi(port)
			proto := "TCP"
			if portName == "dns" {
				proto = "UDP"
			}
			e.Subsets = append(e.Subsets, &corev1.EndpointSubset{
				Addresses: []*corev1.EndpointAddress{{Ip: host}},
				Ports:     []*corev1.EndpointPort{{Name: portName, Port: int32(n), Protocol: proto}},
			})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpoints[ns+"/"+name] = e
}

// loopbackIP returns a random address in 127.96.0.0/16 (cluster IPs) or 127.97.0.0/16 (node IPs)
// so tests running at once do not collide on fixed ports.
func loopbackIP(second byte) string {
	return fmt.Sprintf("127.%d.%d.%d", second, rand.IntN(256), 1+rand.IntN(254))
}

// service is a Service with a TCP port "http" (8080, node port 30080) and a UDP port "dns" (5353).
func service(ns, name, clusterIP string) *corev1.Service {
	return &corev1.Service{
		Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: &corev1.ServiceSpec{
			Type:      "NodePort",
			ClusterIp: clusterIP,
			Ports: []*corev1.ServicePort{
				{Name: "http", Protocol: "TCP", Port: 8080, NodePort: 30080},
				{Name: "dns", Protocol: "UDP", Port: 5353},
			},
		},
	}
}

// startProxier runs a proxier on src with node ports on nodeIP until the test ends.
func startProxier(t *testing.T, src Source, nodeIP string) *Proxier {
	t.Helper()
	p := New(src, Options{NodeIP: mustAddr(t, nodeIP), Logger: zaptest.NewLogger(t)})
	backendtest.Run(t, "proxier", p.Run)
	return p
}

// reached dials addr until a backend answers, and returns which one.
func reached(t *testing.T, addr string) string {
	t.Helper()
	var got string
	require.Eventually(t, func() bool {
		c, err := backendtest.DialErr(addr, "")
		if err != nil {
			return false
		}
		_ = c.Close()
		got = c.Backend
		return true
	}, backendtest.Timeout, time.Millisecond, "nothing answers on %s", addr)
	return got
}

func TestProxierForwardsClusterIPNodePortAndUDP(t *testing.T) {
	src := newFakeSource()
	clusterIP, nodeIP := loopbackIP(96), loopbackIP(97)
	web := []string{backendtest.TCP(t, "127.0.0.11"), backendtest.TCP(t, "127.0.0.12")}
	dns := backendtest.UDP(t, "127.0.0.13")
	src.setService(service("default", "web", clusterIP))
	src.setEndpoints("default", "web", map[string][]string{"http": web, "dns": {dns}})
	p := startProxier(t, src, nodeIP)
	<-p.Synced()

	for _, addr := range []string{net.JoinHostPort(clusterIP, "8080"), net.JoinHostPort(nodeIP, "30080")} {
		seen := map[string]int{}
		for range 6 {
			seen[reached(t, addr)]++
		}
		require.Equal(t, map[string]int{web[0]: 3, web[1]: 3}, seen, "round robin through %s", addr)
	}
	client := backendtest.NewUDPClient(t, net.JoinHostPort(clusterIP, "5353"))
	backend, payload, err := client.Ask("query")
	require.NoError(t, err)
	require.Equal(t, dns, backend)
	require.Equal(t, "query", payload)
}

func TestProxierEndpointChurn(t *testing.T) {
	src := newFakeSource()
	clusterIP := loopbackIP(96)
	a, b := backendtest.TCP(t, "127.0.0.11"), backendtest.TCP(t, "127.0.0.12")
	src.setService(service("default", "web", clusterIP))
	src.setEndpoints("default", "web", map[string][]string{"http": {a}})
	p := startProxier(t, src, loopbackIP(97))
	addr := net.JoinHostPort(clusterIP, "8080")
	require.Equal(t, a, reached(t, addr))
	open := backendtest.Dial(t, addr, "")
	require.Equal(t, a, open.Backend)

	src.setEndpoints("default", "web", map[string][]string{"http": {b}})
	start := time.Now()
	p.Changed("default", "web")
	require.Eventually(t, func() bool { return reached(t, addr) == b }, time.Second, time.Millisecond,
		"the new endpoint gets traffic within a second")
	t.Logf("endpoint change applied after %s", time.Since(start))
	for i := range 4 {
		require.Equal(t, b, reached(t, addr), "connection %d after the change", i)
	}
	got, err := open.Echo("still served")
	require.NoError(t, err, "the open connection to the removed endpoint keeps working")
	require.Equal(t, "still served", got)

	// No ready endpoint left: connections are reset at once.
	src.setEndpoints("default", "web", nil)
	p.Changed("default", "web")
	require.Eventually(t, func() bool {
		_, err := backendtest.DialErr(addr, "")
		return errors.Is(err, syscall.ECONNRESET)
	}, time.Second, time.Millisecond)
}

func TestProxierClosesDeletedServices(t *testing.T) {
	src := newFakeSource()
	clusterIP := loopbackIP(96)
	src.setService(service("default", "web", clusterIP))
	src.setEndpoints("default", "web", map[string][]string{"http": {backendtest.TCP(t, "127.0.0.11")}})
	p := startProxier(t, src, loopbackIP(97))
	addr := net.JoinHostPort(clusterIP, "8080")
	reached(t, addr)

	src.deleteService("default", "web")
	p.Changed("default", "web")
	require.Eventually(t, func() bool {
		_, err := net.Dial("tcp", addr)
		return errors.Is(err, syscall.ECONNREFUSED)
	}, time.Second, time.Millisecond, "the service's listener closes")
	// The sync closes the listeners, then forgets the endpoints: wait for the sync, not only for
	// its first step.
	require.Eventually(t, func() bool {
		return len(p.Endpoints(balancerPort("default", "web", "http"))) == 0
	}, time.Second, time.Millisecond, "the service's endpoints forgotten")
}

func TestDesiredSkipsWhatCannotBeForwarded(t *testing.T) {
	src := newFakeSource()
	headless := service("default", "headless", "None")
	external := service("default", "external", "127.96.0.9")
	external.Spec.Type = "ExternalName"
	sctp := service("default", "sctp", "127.96.0.10")
	sctp.Spec.Ports = []*corev1.ServicePort{{Name: "s", Protocol: "SCTP", Port: 9}}
	pending := service("default", "pending", "")
	for _, s := range []*corev1.Service{headless, external, sctp, pending} {
		src.setService(s)
	}
	affine := service("default", "affine", "127.96.0.11")
	affine.Spec.SessionAffinity = "ClientIP"
	src.setService(affine)
	src.setEndpoints("default", "affine", map[string][]string{"http": {"127.0.0.11:80"}, "other": {"127.0.0.12:81"}})

	want := desired(src)
	require.Len(t, want, 2, "only the affine service's two ports")
	http := want[balancerPort("default", "affine", "http")]
	require.Equal(t, []string{"127.0.0.11:80"}, http.endpoints)
	require.True(t, http.affinity.ClientIP)
	require.Equal(t, DefaultAffinityTimeout, http.affinity.Timeout)
	require.Equal(t, uint16(30080), http.listen.nodePort)
	require.Empty(t, want[balancerPort("default", "affine", "dns")].endpoints)
}
