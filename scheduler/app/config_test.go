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
