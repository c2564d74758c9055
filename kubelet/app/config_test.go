package app

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/config"
)

// TestLoadPrecedence checks flags > environment > config file > defaults on --hostname-override.
func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kubelet.yaml")
	require.NoError(t, os.WriteFile(file, []byte("hostname-override: from-file\nhealthz-bind-address: 127.0.0.5\n"), 0o600))

	tests := []struct {
		name     string
		args     []string
		env      string
		wantName string
	}{
		{name: "default is empty"},
		{name: "file", args: []string{"--config=" + file}, wantName: "from-file"},
		{name: "env over file", args: []string{"--config=" + file}, env: "from-env", wantName: "from-env"},
		{name: "flag over env", args: []string{"--config=" + file, "--hostname-override=from-flag"}, env: "from-env", wantName: "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("KEELSON_KUBELET_HOSTNAME_OVERRIDE", tt.env)
			}
			got, err := load(tt.args)
			require.NoError(t, err)
			want := Config{Server: server.DefaultConfig(), Process: config.DefaultProcess()}
			want.Server.HostnameOverride = tt.wantName
			if len(tt.args) > 0 {
				want.File = file
				want.Server.HealthzBindAddress = "127.0.0.5"
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
