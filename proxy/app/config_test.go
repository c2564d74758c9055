package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/proxy/server"
)

// TestLoadPrecedence checks flags > environment > config file > defaults on --metrics-bind-address.
func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "proxy.yaml")
	require.NoError(t, os.WriteFile(file, []byte("metrics-bind-address: 127.0.0.1:1111\nhostname-override: node-f\n"), 0o600))

	tests := []struct {
		name string
		args []string
		env  string
		want string
	}{
		{name: "default", want: "127.0.0.1:10249"},
		{name: "file", args: []string{"--config=" + file}, want: "127.0.0.1:1111"},
		{name: "env over file", args: []string{"--config=" + file}, env: "127.0.0.1:2222", want: "127.0.0.1:2222"},
		{name: "flag over env", args: []string{"--config=" + file, "--metrics-bind-address=127.0.0.1:3333"}, env: "127.0.0.1:2222", want: "127.0.0.1:3333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("KEELSON_PROXY_METRICS_BIND_ADDRESS", tt.env)
			}
			got, err := load(tt.args)
			require.NoError(t, err)
			want := Config{Server: server.DefaultConfig(), Process: config.DefaultProcess()}
			want.Server.MetricsBindAddress = tt.want
			if len(tt.args) > 0 {
				want.File = file
				want.Server.HostnameOverride = "node-f"
			}
			require.Equal(t, want, got)
			require.NoError(t, got.Validate())
		})
	}
}

// load reads the configuration from args as Run does.
func load(args []string) (Config, error) {
	var cfg Config
	err := config.Load(component, NewFlags(), args, &cfg)
	return cfg, err
}
