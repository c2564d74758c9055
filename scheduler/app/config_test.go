package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/scheduler/server"
)

// TestLoadPrecedence checks flags > environment > config file > defaults on the scheduler's own
// flags.
func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scheduler.yaml")
	require.NoError(t, os.WriteFile(file, []byte(
		"port: 1111\nleader-elect: false\nlog-level: debug\nshutdown-timeout: 3s\napiserver: [127.0.0.2:6443, 127.0.0.3:6443]\n"), 0o600))
	t.Setenv("KEELSON_SCHEDULER_PORT", "2222")
	t.Setenv("KEELSON_SCHEDULER_LOG_LEVEL", "warn")

	tests := []struct {
		name string
		args []string
		want func(*Config)
	}{
		{name: "defaults under everything", args: nil, want: func(c *Config) {
			c.Server.Port = 2222 // env
			c.LogLevel = "warn"  // env
		}},
		{name: "file over defaults, env over file, flag over env", args: []string{"--config=" + file, "--log-level=error"}, want: func(c *Config) {
			c.File = file
			c.Server.Port = 2222         // env beats file
			c.LogLevel = "error"         // flag beats env and file
			c.Server.LeaderElect = false // file beats default
			c.Server.ShutdownTimeout = 3 * time.Second
			c.Server.APIServers = []string{"127.0.0.2:6443", "127.0.0.3:6443"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(tt.args)
			require.NoError(t, err)
			want := Config{Server: server.DefaultConfig(), Process: config.DefaultProcess()}
			tt.want(&want)
			require.Equal(t, want, got)
			require.NoError(t, got.Validate())
		})
	}
}

func TestValidateNamesBadFlags(t *testing.T) {
	t.Setenv("KEELSON_SCHEDULER_LOG_FORMAT", "xml")
	cfg, err := load([]string{"--port=-5"})
	require.NoError(t, err)
	err = cfg.Validate()
	require.ErrorContains(t, err, "--port")
	require.ErrorContains(t, err, `log format "xml"`)
}

// load reads the configuration from args as Run does.
func load(args []string) (Config, error) {
	var cfg Config
	err := config.Load(component, NewFlags(), args, &cfg)
	return cfg, err
}

// TestSchedulingFlags loads the scheduler's own flags from the command line and the environment.
func TestSchedulingFlags(t *testing.T) {
	t.Setenv("KEELSON_SCHEDULER_POD_MAX_BACKOFF", "20s")
	cfg, err := load([]string{
		"--algorithm-provider=ClusterAutoscalerProvider", "--percentage-of-nodes-to-score=30",
		"--bind-concurrency=32", "--scheduler-name=batch-scheduler", "--parallelism=4",
		"--leader-elect-lease-duration=30s", "--leader-elect-renew-deadline=20s", "--leader-elect-retry-period=5s",
		"--leader-elect-resource-name=batch-scheduler",
	})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	s := cfg.Server
	require.Equal(t, "ClusterAutoscalerProvider", s.AlgorithmProvider)
	require.Equal(t, 30, s.PercentageOfNodesToScore)
	require.Equal(t, 32, s.BindConcurrency)
	require.Equal(t, "batch-scheduler", s.SchedulerName)
	require.Equal(t, 4, s.Parallelism)
	require.Equal(t, 20*time.Second, s.PodMaxBackoff)
	require.Equal(t, time.Second, s.PodInitialBackoff)
	require.Equal(t, 30*time.Second, s.LeaseDuration)
	require.Equal(t, 20*time.Second, s.RenewDeadline)
	require.Equal(t, 5*time.Second, s.RetryPeriod)
	require.Equal(t, "kube-system", s.ResourceNamespace)
	require.Equal(t, "batch-scheduler", s.ResourceName)

	cfg, err = load([]string{"--algorithm-provider=Nope"})
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(), "--algorithm-provider")
}
