package forwarder_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/proxy/internal/backendtest"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/forwarder"
)

var svc = balancer.ServicePort{Namespace: "default", Name: "web", Port: "http"}

// startTCP runs a TCP forwarder on 127.0.0.10:0 with endpoints from bal and returns its address.
// It is stopped, and checked to stop cleanly, when the test ends.
func startTCP(t *testing.T, bal *balancer.Balancer) string {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP("127.0.0.10")})
	require.NoError(t, err)
	pick := forwarder.PickerFunc(func(ip string, reset bool) (string, error) { return bal.Next(svc, ip, reset) })
	f := forwarder.NewTCP(ln, pick, nil, zaptest.NewLogger(t))
	backendtest.Run(t, "TCP forwarder", f.Run)
	return f.Addr().String()
}

func TestTCPRoundRobin(t *testing.T) {
	backends := []string{backendtest.TCP(t, "127.0.0.11"), backendtest.TCP(t, "127.0.0.12"), backendtest.TCP(t, "127.0.0.13")}
	bal := balancer.New(clock.RealClock{})
	bal.Set(svc, backends, balancer.Affinity{})
	addr := startTCP(t, bal)

	order := bal.Endpoints(svc)
	for i := range 9 {
		require.Equal(t, order[i%3], backendtest.Who(t, addr, "127.0.0.1"), "connection %d", i)
	}
}

func TestTCPClientIPAffinityTimesOut(t *testing.T) {
	backends := []string{backendtest.TCP(t, "127.0.0.11"), backendtest.TCP(t, "127.0.0.12")}
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	bal := balancer.New(clk)
	bal.Set(svc, backends, balancer.Affinity{ClientIP: true, Timeout: 10 * time.Second})
	addr := startTCP(t, bal)
	order := bal.Endpoints(svc)

	tests := []struct {
		name     string
		step     time.Duration
		clientIP string
		want     string
	}{
		{name: "first connection starts a session", clientIP: "127.0.0.21", want: order[0]},
		{name: "same client sticks", clientIP: "127.0.0.21", want: order[0]},
		{name: "other client gets the next endpoint", clientIP: "127.0.0.22", want: order[1]},
		{name: "still inside the timeout", step: 9 * time.Second, clientIP: "127.0.0.21", want: order[0]},
		{name: "each connection refreshes the session", step: 9 * time.Second, clientIP: "127.0.0.21", want: order[0]},
		{name: "session expired: round robin again", step: 10 * time.Second, clientIP: "127.0.0.21", want: order[0]},
		{name: "second client expired too", clientIP: "127.0.0.22", want: order[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Step(tt.step)
			require.Equal(t, tt.want, backendtest.Who(t, addr, tt.clientIP))
		})
	}
}

func TestTCPRetriesTheNextEndpoint(t *testing.T) {
	live := backendtest.TCP(t, "127.0.0.11")
	dead := []string{backendtest.DeadPort(t, "127.0.0.12"), backendtest.DeadPort(t, "127.0.0.13")}
	bal := balancer.New(clock.RealClock{})
	bal.Set(svc, append(dead, live), balancer.Affinity{})
	addr := startTCP(t, bal)
	for i := range 6 {
		require.Equal(t, live, backendtest.Who(t, addr, ""), "connection %d", i)
	}
}

func TestTCPNoEndpointsResets(t *testing.T) {
	tests := []struct {
		name      string
		endpoints []string
	}{
		{name: "no endpoints", endpoints: nil},
		{name: "only unreachable endpoints", endpoints: []string{backendtest.DeadPort(t, "127.0.0.12")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bal := balancer.New(clock.RealClock{})
			bal.Set(svc, tt.endpoints, balancer.Affinity{})
			addr := startTCP(t, bal)
			start := time.Now()
			_, err := backendtest.DialErr(addr, "")
			require.Error(t, err)
			require.True(t, errors.Is(err, syscall.ECONNRESET), "want a reset, got %v", err)
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

func TestTCPHalfClose(t *testing.T) {
	bal := balancer.New(clock.RealClock{})
	bal.Set(svc, []string{backendtest.TCP(t, "127.0.0.11")}, balancer.Affinity{})
	addr := startTCP(t, bal)
	c := backendtest.Dial(t, addr, "")
	_, err := c.Write([]byte("last words"))
	require.NoError(t, err)
	// The client's FIN must reach the backend, which then echoes what it got and closes: the
	// reverse direction keeps working after the client stopped sending.
	require.NoError(t, c.CloseWrite())
	got, err := c.ReadAll()
	require.NoError(t, err)
	require.Equal(t, "last words", got)
}

func TestTCPEndpointChurnKeepsOpenConnections(t *testing.T) {
	a, b := backendtest.TCP(t, "127.0.0.11"), backendtest.TCP(t, "127.0.0.12")
	bal := balancer.New(clock.RealClock{})
	bal.Set(svc, []string{a}, balancer.Affinity{})
	addr := startTCP(t, bal)

	open := backendtest.Dial(t, addr, "")
	require.Equal(t, a, open.Backend)
	bal.Set(svc, []string{b}, balancer.Affinity{})

	for i := range 3 {
		require.Equal(t, b, backendtest.Who(t, addr, ""), "new connection %d after the change", i)
	}
	got, err := open.Echo("still here")
	require.NoError(t, err, "a connection to a removed endpoint keeps working")
	require.Equal(t, "still here", got)
}

func TestTCPStopClosesOpenConnections(t *testing.T) {
	bal := balancer.New(clock.RealClock{})
	bal.Set(svc, []string{backendtest.TCP(t, "127.0.0.11")}, balancer.Affinity{})
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP("127.0.0.10")})
	require.NoError(t, err)
	f := forwarder.NewTCP(ln, forwarder.PickerFunc(func(ip string, reset bool) (string, error) {
		return bal.Next(svc, ip, reset)
	}), nil, zaptest.NewLogger(t))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, f.Run(ctx))
	}()
	c := backendtest.Dial(t, f.Addr().String(), "")
	cancel()
	wg.Wait()
	_, err = c.ReadAll()
	_, derr := net.Dial("tcp", f.Addr().String())
	require.Error(t, derr, "the listener is closed after Run returns")
	_ = err // a reset or an EOF both end the connection; ReadAll returning at all is the check
}
