package integration

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// endpointsOf returns Endpoints name listing backends ("ip:port"), one subset each, on the port
// named http.
func endpointsOf(t *testing.T, name string, backends ...string) *corev1.Endpoints {
	t.Helper()
	e := &corev1.Endpoints{Metadata: meta(name, nil)}
	for _, b := range backends {
		host, port, err := net.SplitHostPort(b)
		require.NoError(t, err)
		n, err := strconv.Atoi(port)
		require.NoError(t, err)
		e.Subsets = append(e.Subsets, &corev1.EndpointSubset{
			Addresses: []*corev1.EndpointAddress{{Ip: host}},
			Ports:     []*corev1.EndpointPort{{Name: "http", Port: int32(n), Protocol: "TCP"}},
		})
	}
	return e
}

// whoAnswers sends one request on a new connection to addr and returns the backend that answered.
func whoAnswers(addr string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestProxyForwardsServiceTraffic creates a NodePort Service with a loopback cluster IP and
// Endpoints of three loopback backends, and checks that requests through the cluster IP and the
// node port reach every backend, that an Endpoints update applies within a second, and that the
// service's ports close when it is deleted.
func TestProxyForwardsServiceTraffic(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	backends := []string{
		framework.StartHTTPBackend(t, "127.0.0.1"),
		framework.StartHTTPBackend(t, "127.0.0.1"),
		framework.StartHTTPBackend(t, "127.0.0.1"),
	}
	clusterIP, nodeIP := framework.RandomLoopbackIP(96), framework.RandomLoopbackIP(97)
	nodePort := int32(30000 + rand.IntN(2768))
	svc, err := c.Services("default").Create(ctx, &corev1.Service{Metadata: meta("web", nil), Spec: &corev1.ServiceSpec{
		Type:      "NodePort",
		ClusterIp: clusterIP,
		Ports: []*corev1.ServicePort{{
			Name: "http", Protocol: "TCP", Port: 8080, NodePort: nodePort,
			TargetPort: &metav1.IntOrString{Type: 1, StrVal: "http"},
		}},
	}})
	require.NoError(t, err)
	require.Equal(t, clusterIP, svc.GetSpec().GetClusterIp(), "the apiserver keeps the requested loopback cluster IP")
	_, err = c.Endpoints("default").Create(ctx, endpointsOf(t, "web", backends...))
	require.NoError(t, err)

	p := framework.StartServiceProxy(t, cl.Endpoints(), nodeIP, nil)
	viaClusterIP := net.JoinHostPort(clusterIP, "8080")
	viaNodePort := net.JoinHostPort(nodeIP, strconv.Itoa(int(nodePort)))
	for _, addr := range []string{viaClusterIP, viaNodePort} {
		seen := map[string]int{}
		for i := range 30 {
			who, err := whoAnswers(addr)
			require.NoError(t, err, "request %d through %s", i, addr)
			seen[who]++
		}
		require.Equal(t, map[string]int{backends[0]: 10, backends[1]: 10, backends[2]: 10}, seen,
			"round robin through %s reaches every backend evenly", addr)
	}

	// Only the third backend stays: within a second, every new connection goes to it.
	cur, err := c.Endpoints("default").Get(ctx, "web")
	require.NoError(t, err)
	next := endpointsOf(t, "web", backends[2])
	next.Metadata = cur.GetMetadata()
	_, err = c.Endpoints("default").Update(ctx, next)
	require.NoError(t, err)
	updated := time.Now()
	require.Eventually(t, func() bool {
		for range 3 {
			if who, err := whoAnswers(viaClusterIP); err != nil || who != backends[2] {
				return false
			}
		}
		return true
	}, time.Second, 5*time.Millisecond, "the Endpoints update applies within a second")
	t.Logf("Endpoints update applied within %s", time.Since(updated))

	m := p.Metrics(t)
	require.Positive(t, m[`keelson_proxy_connections_total{protocol="TCP",service="default/web:http"}`])
	require.Positive(t, m[`keelson_proxy_bytes_total{direction="to_client",protocol="TCP",service="default/web:http"}`])

	require.NoError(t, c.Services("default").Delete(ctx, "web"))
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", viaClusterIP, time.Second)
		return errors.Is(err, syscall.ECONNREFUSED)
	}, 5*time.Second, 5*time.Millisecond, "the deleted service's port closes")
}
