package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/config"
)

func load(t *testing.T, args ...string) Config {
	t.Helper()
	var cfg Config
	require.NoError(t, config.Load(component, NewFlags(), args, &cfg))
	return cfg
}

// TestLoadPrecedence checks flags > environment > config file > defaults on the apiserver's flags.
func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "apiserver.yaml")
	require.NoError(t, os.WriteFile(file, []byte(
		"port: 1111\ndata-dir: /from/file\ncompaction-interval: 1m\nwatch-cache-size: 10\nlog-level: debug\n"), 0o600))
	t.Setenv("KEELSON_APISERVER_PORT", "2222")
	t.Setenv("KEELSON_APISERVER_WATCH_CACHE_SIZE", "20")

	cfg := load(t, "--config", file, "--port", "3333")
	require.Equal(t, 3333, cfg.Server.Port, "flag wins")
	require.Equal(t, 20, cfg.Server.WatchCacheSize, "env beats file")
	require.Equal(t, "/from/file", cfg.Server.DataDir, "file beats default")
	require.Equal(t, time.Minute, cfg.Server.CompactionInterval)
	require.Equal(t, "debug", cfg.LogLevel)
	require.Equal(t, "127.0.0.1", cfg.Server.BindAddress, "default")
	require.NoError(t, cfg.Validate())
}

func TestValidateNamesBadFlags(t *testing.T) {
	cfg := load(t, "--bind-address", "nowhere", "--watch-cache-size", "0", "--etcd-prefix", "registry", "--log-level", "loud")
	err := cfg.Validate()
	require.ErrorContains(t, err, "--bind-address")
	require.ErrorContains(t, err, "--watch-cache-size")
	require.ErrorContains(t, err, "--etcd-prefix")
	require.ErrorContains(t, err, "loud")
}

func TestLoadAuthFlags(t *testing.T) {
	cfg := load(t)
	require.Equal(t, []string{"Node", "RBAC"}, cfg.Server.AuthorizationModes)
	require.True(t, cfg.Server.AnonymousAuth)
	require.True(t, cfg.Server.EnableBootstrapTokenAuth)

	cfg = load(t, "--authorization-mode", "AlwaysDeny,AlwaysAllow", "--token-auth-file", "/etc/tokens.csv", "--anonymous-auth=false",
		"--service-account-key-file", "/a.pub", "--service-account-key-file", "/b.pub",
		"--service-account-issuer", "https://keelson.local", "--api-audiences", "api,vault")
	require.Equal(t, []string{"AlwaysDeny", "AlwaysAllow"}, cfg.Server.AuthorizationModes)
	require.Equal(t, "/etc/tokens.csv", cfg.Server.TokenAuthFile)
	require.False(t, cfg.Server.AnonymousAuth)
	require.Equal(t, []string{"/a.pub", "/b.pub"}, cfg.Server.ServiceAccountKeyFiles)
	require.Equal(t, []string{"https://keelson.local"}, cfg.Server.ServiceAccountIssuers)
	require.Equal(t, []string{"api", "vault"}, cfg.Server.APIAudiences)
	require.NoError(t, cfg.Validate())

	require.ErrorContains(t, load(t, "--authorization-mode", "Magic").Validate(), `--authorization-mode: unknown mode "Magic"`)
}

func TestHelpIsNotAnError(t *testing.T) {
	require.NoError(t, Run([]string{"--help"}))
}
