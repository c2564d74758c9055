package server

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

func TestServeHealthThenStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Address, cfg.Port, cfg.HealthzPort = "127.0.0.1", 0, 0
	cfg.NodeIP = "127.0.0.1"
	cfg.HostnameOverride = "Node-1"
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, "node-1", srv.NodeName())
	require.Nil(t, srv.Addr(), "New must not listen")

	base, stop := healthztest.Start(t, srv)
	healthztest.RequireHealthy(t, base)
	code, body := healthztest.Get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "process_start_time_seconds")

	require.NoError(t, stop())
}

func TestNodeNameDefaultsToHostname(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	srv, err := New(DefaultConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, strings.ToLower(host), srv.NodeName())
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "address", mutate: func(c *Config) { c.Address = "" }, wantErr: "--address"},
		{name: "healthz port", mutate: func(c *Config) { c.HealthzPort = -1 }, wantErr: "--healthz-port"},
		{name: "node ip", mutate: func(c *Config) { c.NodeIP = "nope" }, wantErr: "--node-ip"},
		{name: "taint", mutate: func(c *Config) { c.RegisterWithTaints = []string{"a=b:Sometimes"} }, wantErr: "--register-with-taints"},
		{name: "label", mutate: func(c *Config) { c.NodeLabels = []string{"novalue"} }, wantErr: "--node-labels"},
		{name: "reserved", mutate: func(c *Config) { c.SystemReserved = []string{"cpu=lots"} }, wantErr: "--system-reserved"},
		{name: "header", mutate: func(c *Config) { c.ManifestURLHeader = []string{"nocolon"} }, wantErr: "--manifest-url-header"},
		{name: "port", mutate: func(c *Config) { c.Port = -1 }, wantErr: "--port"},
		{name: "apiserver", mutate: func(c *Config) { c.APIServers = []string{"nohost"} }, wantErr: "--apiserver"},
		{name: "node name", mutate: func(c *Config) { c.HostnameOverride = " " }, wantErr: "--hostname-override"},
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
