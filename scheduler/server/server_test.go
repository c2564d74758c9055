package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

// TestServeHealthThenStop runs a scheduler whose apiserver is down: it serves health and metrics
// meanwhile, and stops promptly.
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
	for _, m := range []string{"scheduler_schedule_attempts_total", "scheduler_e2e_scheduling_duration_seconds",
		`scheduler_pending_pods{queue="unschedulable"}`, "scheduler_leader 0"} {
		require.Contains(t, body, m)
	}

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
		{name: "provider", mutate: func(c *Config) { c.AlgorithmProvider = "Fastest" },
			wantErr: `--algorithm-provider: unknown provider "Fastest" (registered: [ClusterAutoscalerProvider DefaultProvider])`},
		{name: "percentage", mutate: func(c *Config) { c.PercentageOfNodesToScore = 101 }, wantErr: "--percentage-of-nodes-to-score"},
		{name: "parallelism", mutate: func(c *Config) { c.Parallelism = -1 }, wantErr: "--parallelism"},
		{name: "bind concurrency", mutate: func(c *Config) { c.BindConcurrency = 0 }, wantErr: "--bind-concurrency"},
		{name: "scheduler name", mutate: func(c *Config) { c.SchedulerName = "" }, wantErr: "--scheduler-name"},
		{name: "backoff order", mutate: func(c *Config) { c.PodMaxBackoff = 500 * time.Millisecond }, wantErr: "--pod-max-backoff"},
		{name: "lease timing", mutate: func(c *Config) { c.RenewDeadline = 20 * time.Second }, wantErr: "must exceed --leader-elect-renew-deadline"},
		{name: "lease name", mutate: func(c *Config) { c.ResourceName = "" }, wantErr: "--leader-elect-resource-name"},
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
