package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

func TestServeHealthThenStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Port = 0
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Nil(t, srv.Addr(), "New must not listen")

	base, stop := healthztest.Start(t, srv)
	healthztest.RequireHealthy(t, base)
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
		{name: "apiserver", mutate: func(c *Config) { c.APIServers = nil }, wantErr: "--apiserver"},
		{name: "shutdown timeout", mutate: func(c *Config) { c.ShutdownTimeout = 0 }, wantErr: "--shutdown-timeout"},
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
