package framework

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
)

// ControllerManager is a keelson-controller-manager running in-process.
type ControllerManager struct {
	*Running
	Server *server.Server
}

// StartControllerManager runs a controller manager against the apiserver endpoints (as
// system:kube-controller-manager when they are a secure test cluster's), leader-elected
// as it is by default (with Kubernetes' 15s lease, 10s renew deadline and 2s retry), and waits until its health endpoint is up. configure may adjust the
// configuration first. It logs to the test at info level and stops when the test ends (see Start).
func StartControllerManager(tb testing.TB, endpoints []string, configure func(*server.Config)) *ControllerManager {
	tb.Helper()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.APIServers = endpoints
	cfg.ShutdownTimeout = 5 * time.Second
	// Kubernetes' timing rather than the shipped one, tuned for fast handovers: an in-process
	// controller manager shares the CPU with the whole suite under -race, and a leader that
	// misses a 3s renew deadline stops, which is not what these tests are about. The chaos test
	// (test/chaos) checks the shipped timing with the built binaries.
	cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 15*time.Second, 10*time.Second, 2*time.Second
	if c := secureClusterOf(endpoints); c != nil {
		cfg.Kubeconfig = c.Kubeconfig(clusterpki.ControllerManagerName)
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := server.New(cfg, zaptest.NewLogger(tb, zaptest.Level(zap.InfoLevel)).Named("controller-manager"))
	if err != nil {
		tb.Fatalf("controller-manager: %v", err)
	}
	cm := &ControllerManager{Running: Start(tb, srv), Server: srv}
	cm.WaitFor(30*time.Second, func() bool { return srv.Addr() != nil }, "controller-manager health endpoint up")
	return cm
}
