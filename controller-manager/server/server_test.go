package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

// TestServeHealthThenStop runs a leader-elected controller manager whose apiserver is down: it
// serves health and metrics meanwhile, and stops promptly.
func TestServeHealthThenStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Port = 0
	cfg.APIServers = []string{healthztest.UnusedEndpoint(t)}
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Nil(t, srv.Addr(), "New must not listen")

	base, stop := healthztest.Start(t, srv)
	healthztest.RequireHealthy(t, base)
	select {
	case <-srv.Ready():
	default:
		t.Fatal("Ready must be closed once the health endpoint serves, leading or not (no apiserver answers here)")
	}
	code, body := healthztest.Get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "go_goroutines")

	require.NoError(t, stop())
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "bind address", mutate: func(c *Config) { c.BindAddress = "localhost" }, wantErr: "--bind-address"},
		{name: "port", mutate: func(c *Config) { c.Port = 70000 }, wantErr: "--port"},
		{name: "apiserver", mutate: func(c *Config) { c.APIServers = []string{"nohost"} }, wantErr: "--apiserver"},
		{name: "shutdown timeout", mutate: func(c *Config) { c.ShutdownTimeout = 0 }, wantErr: "--shutdown-timeout"},
		{name: "lease timing", mutate: func(c *Config) { c.RetryPeriod = 10 * time.Second }, wantErr: "must exceed --leader-elect-retry-period"},
		{name: "lease name", mutate: func(c *Config) { c.ResourceName = "" }, wantErr: "--leader-elect-resource-name"},
		{name: "unknown controller", mutate: func(c *Config) { c.Controllers.Controllers = []string{"*", "-replicaset", "nope"} },
			wantErr: `--controllers: unknown controller "nope"; known controllers: ` + strings.Join(ControllerNames(), ", ")},
		{name: "node CIDRs without a cluster range", mutate: func(c *Config) { c.Controllers.Node.AllocateNodeCIDRs = true }, wantErr: "--allocate-node-cidrs needs --cluster-cidr"},
		{name: "node mask size", mutate: func(c *Config) {
			c.Controllers.Node.AllocateNodeCIDRs, c.Controllers.Node.ClusterCIDR = true, "10.244.0.0/24"
			c.Controllers.Node.NodeCIDRMaskSize = 16
		}, wantErr: "node mask size 16"},
		{name: "grace period", mutate: func(c *Config) { c.Controllers.Node.NodeMonitorGracePeriod = 0 }, wantErr: "--node-monitor-grace-period"},
		{name: "workers", mutate: func(c *Config) { c.Controllers.ConcurrentReplicaSetSyncs = 0 }, wantErr: "--concurrent-replicaset-syncs"},
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

func TestLeaderElectionSettingsIgnoredWhenOff(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LeaderElect = false
	cfg.LeaseDuration = 0
	require.NoError(t, cfg.Validate())
}
