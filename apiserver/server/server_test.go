package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestRunServesThenShutsDownInOrder starts a server on an embedded etcd, watches through its
// registry, and stops it: the watch ends, the port closes, and Run returns nil.
func TestRunServesThenShutsDownInOrder(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.ServePlainText, cfg.AuthorizationModes = true, []string{server.ModeAlwaysAllow}
	cfg.Port = 0
	cfg.DataDir, cfg.EtcdClientPort, cfg.EtcdPeerPort, cfg.EtcdUnsafeNoFsync = t.TempDir(), 0, 0, true
	cfg.CompactionInterval = 0
	srv, err := server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("stopped while starting: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not ready after 30s")
	}

	addr := srv.Addr().String()
	resp, err := http.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	st, err := srv.Registry().Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)
	w, err := st.Watch(ctx, "default", registry.WatchOptions{})
	require.NoError(t, err)
	draining := srv.Registry().Draining()

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of its context ending")
	}
	select {
	case <-draining:
	default:
		t.Fatal("the registry did not drain")
	}
	for range w.Events() {
	}
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "the listener is closed")
}

// TestRunFailsWhenThePortIsTaken checks that a build failure is returned and releases the embedded
// etcd: a second server can then use the same data directory.
func TestRunFailsWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	cfg := server.DefaultConfig()
	cfg.ServePlainText, cfg.AuthorizationModes = true, []string{server.ModeAlwaysAllow}
	cfg.Port = ln.Addr().(*net.TCPAddr).Port
	cfg.DataDir, cfg.EtcdClientPort, cfg.EtcdPeerPort, cfg.EtcdUnsafeNoFsync = t.TempDir(), 0, 0, true
	srv, err := server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Run(ctx)
	require.Error(t, err)
	require.ErrorContains(t, err, "listen")
	var opErr *net.OpError
	require.True(t, errors.As(err, &opErr), "the listen error is wrapped: %v", err)

	cfg.Port = 0
	srv, err = server.New(cfg, zap.NewNop())
	require.NoError(t, err)
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- srv.Run(runCtx) }()
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("the data directory was not released: %v", err)
	}
	stop()
	require.NoError(t, <-done)
}
