package server

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

func TestServeHealthAndMetricsThenStop(t *testing.T) {
	cfg := testConfig()
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, "node-1", srv.NodeName())

	base, stop := healthztest.Start(t, srv)
	require.Eventually(t, func() bool { return srv.MetricsAddr() != nil }, healthztest.Timeout, time.Millisecond)
	metrics := "http://" + srv.MetricsAddr().String()

	tests := []struct {
		url      string
		wantCode int
		wantBody string
	}{
		// Nothing answers at the configured apiserver, so the proxy never syncs.
		{url: base + "/healthz", wantCode: http.StatusServiceUnavailable, wantBody: `"lastUpdated":""`},
		{url: base + "/livez", wantCode: http.StatusOK, wantBody: "ok"},
		{url: base + "/metrics", wantCode: http.StatusNotFound},
		{url: metrics + "/metrics", wantCode: http.StatusOK, wantBody: "go_goroutines"},
		{url: metrics + "/healthz", wantCode: http.StatusOK, wantBody: "ok"},
	}
	for _, tt := range tests {
		code, body := healthztest.Get(t, tt.url)
		require.Equal(t, tt.wantCode, code, tt.url)
		require.Contains(t, body, tt.wantBody, tt.url)
	}

	require.NoError(t, stop())
	for _, a := range []net.Addr{srv.Addr(), srv.MetricsAddr()} {
		_, err := net.Dial("tcp", a.String())
		require.Error(t, err, "%s must be closed after Run returns", a)
	}
}

// TestMetricsPortTakenStopsHealth checks that when one endpoint cannot start, Run stops the other
// and reports the failure.
func TestMetricsPortTakenStopsHealth(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, taken.Close()) })
	cfg := testConfig()
	cfg.MetricsBindAddress = taken.Addr().String()
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), healthztest.Timeout)
	defer cancel()
	err = srv.Run(ctx)
	require.ErrorContains(t, err, "listen on "+taken.Addr().String())
	require.NoError(t, ctx.Err(), "Run must return on the failure, not on the deadline")
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "metrics port", mutate: func(c *Config) { c.MetricsPort = 65536 }, wantErr: "--metrics-port"},
		{name: "metrics address", mutate: func(c *Config) { c.MetricsBindAddress = "localhost:1" }, wantErr: "--metrics-bind-address"},
		{name: "healthz address", mutate: func(c *Config) { c.HealthzBindAddress = "127.0.0.1" }, wantErr: "--healthz-bind-address"},
		{name: "same addresses", mutate: func(c *Config) { c.MetricsBindAddress = c.HealthzBindAddress }, wantErr: "must differ"},
		{name: "proxy mode", mutate: func(c *Config) { c.ProxyMode = "iptables" }, wantErr: `--proxy-mode: unknown mode "iptables"`},
		{name: "node IP", mutate: func(c *Config) { c.BindAddress = "node-1" }, wantErr: "--bind-address"},
		{name: "udp timeout", mutate: func(c *Config) { c.UDPTimeout = 0 }, wantErr: "--udp-timeout"},
		{name: "apiserver", mutate: func(c *Config) { c.APIServers = []string{"nohost"} }, wantErr: "--apiserver"},
		{name: "node name", mutate: func(c *Config) { c.HostnameOverride = "\t" }, wantErr: "--hostname-override"},
		{name: "shutdown timeout", mutate: func(c *Config) { c.ShutdownTimeout = -time.Second }, wantErr: "--shutdown-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			_, err := New(cfg, zaptest.NewLogger(t))
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// testConfig is a valid configuration on free loopback ports and no apiserver to reach.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.HealthzBindAddress, cfg.MetricsBindAddress = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HostnameOverride = "node-1"
	// Nothing listens there, and no address is ever put on an interface.
	cfg.APIServers = []string{"127.0.0.1:1"}
	cfg.ClusterIPInterface = ""
	return cfg
}

func TestPortFlagsOverrideAddresses(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Port, cfg.MetricsPort = 1234, 0
	h, err := cfg.healthzAddress()
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:1234", h)
	m, err := cfg.metricsAddress()
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:0", m)
}
