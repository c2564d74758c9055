// Package servertest starts an in-process apiserver on its own embedded etcd for the apiserver's
// unit tests, and sets one up for fuzzing (Fuzz).
package servertest

import (
	"context"
	"testing"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
)

// Start runs an apiserver on loopback with an embedded etcd in a temporary directory (no fsync, no
// periodic compaction) and returns it once it is ready. It stops when the test ends.
func Start(tb testing.TB) *server.Server {
	tb.Helper()
	return StartConfig(tb, Config(tb), zap.NewNop())
}

// Config returns the configuration Start uses: any free loopback port in plain text, every request
// authorized (AlwaysAllow) — the API's own behaviour, not its security, is what these tests are
// about —, an embedded etcd in a temporary directory without fsync, no periodic compaction.
func Config(tb testing.TB) server.Config {
	tb.Helper()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.ServePlainText = true
	cfg.AuthorizationModes = []string{server.ModeAlwaysAllow}
	cfg.DataDir, cfg.EtcdClientPort, cfg.EtcdPeerPort, cfg.EtcdUnsafeNoFsync = tb.TempDir(), 0, 0, true
	cfg.CompactionInterval = 0
	return cfg
}

// StartConfig runs an apiserver with cfg, logging to lg, and returns it once it is ready. It stops
// when the test ends.
func StartConfig(tb testing.TB, cfg server.Config, lg *zap.Logger) *server.Server {
	tb.Helper()
	srv, err := server.New(cfg, lg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("apiserver: %v", err)
		}
	})
	select {
	case <-srv.Ready():
	case err := <-done:
		tb.Fatalf("apiserver stopped while starting: %v", err)
	}
	return srv
}
