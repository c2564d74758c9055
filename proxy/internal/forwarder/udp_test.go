package forwarder_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/proxy/internal/backendtest"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
	"github.com/keelson-dev/keelson/proxy/internal/forwarder"
)

// startUDP runs a UDP forwarder on 127.0.0.10:0 with endpoints from bal and flows timed on clk.
func startUDP(t *testing.T, bal *balancer.Balancer, clk clock.Clock, idle time.Duration) *forwarder.UDP {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.10")})
	require.NoError(t, err)
	pick := forwarder.PickerFunc(func(ip string, reset bool) (string, error) { return bal.Next(svc, ip, reset) })
	f := forwarder.NewUDP(conn, pick, clk, idle, nil, zaptest.NewLogger(t))
	backendtest.Run(t, "UDP forwarder", f.Run)
	return f
}

func TestUDPFlowsExpireWhenIdle(t *testing.T) {
	backends := []string{backendtest.UDP(t, "127.0.0.11"), backendtest.UDP(t, "127.0.0.12")}
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	bal := balancer.New(clk)
	bal.Set(svc, backends, balancer.Affinity{})
	order := bal.Endpoints(svc)
	f := startUDP(t, bal, clk, 250*time.Millisecond)
	client := backendtest.NewUDPClient(t, f.Addr().String())
	other := backendtest.NewUDPClient(t, f.Addr().String())

	ask := func(c *backendtest.UDPClient, msg string) string {
		t.Helper()
		backend, payload, err := c.Ask(msg)
		require.NoError(t, err)
		require.Equal(t, msg, payload)
		return backend
	}
	require.Equal(t, order[0], ask(client, "one"))
	require.Equal(t, order[1], ask(other, "two"), "another client address gets its own flow")
	require.Equal(t, 2, f.Flows())

	clk.Step(200 * time.Millisecond)
	require.Equal(t, order[0], ask(client, "three"), "a flow inside its idle timeout keeps its endpoint")
	clk.Step(100 * time.Millisecond)
	// 300 ms after start: the idle client's flow ended, the active one was re-armed.
	require.Eventually(t, func() bool { return f.Flows() == 1 }, backendtest.Timeout, time.Millisecond)
	require.Equal(t, order[0], f.FlowEndpoint(client.LocalAddr().String()))

	clk.Step(250 * time.Millisecond)
	require.Eventually(t, func() bool { return f.Flows() == 0 }, backendtest.Timeout, time.Millisecond)
	// New flows pick endpoints in turn again: each client now lands on the other endpoint.
	require.Equal(t, order[0], ask(other, "four"))
	require.Equal(t, order[1], ask(client, "five"))
	require.Equal(t, 2, f.Flows())
}

func TestUDPNoEndpointsDrops(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_000_000, 0))
	bal := balancer.New(clk)
	f := startUDP(t, bal, clk, time.Second)
	client := backendtest.NewUDPClient(t, f.Addr().String())
	_, err := client.Write([]byte("anyone?"))
	require.NoError(t, err)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
	_, err = client.Read(make([]byte, 16))
	require.Error(t, err, "no endpoint: nothing answers")
	require.Zero(t, f.Flows())

	backend := backendtest.UDP(t, "127.0.0.11")
	bal.Set(svc, []string{backend}, balancer.Affinity{})
	got, payload, err := client.Ask("now?")
	require.NoError(t, err)
	require.Equal(t, backend, got)
	require.Equal(t, "now?", payload)
}
