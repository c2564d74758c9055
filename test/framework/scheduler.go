package framework

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/scheduler/server"
)

// Scheduler is a keelson-scheduler running in-process.
type Scheduler struct {
	*Running
	Server *server.Server
}

// StartScheduler runs a scheduler against the apiserver endpoints, as system:kube-scheduler when
// they are a secure test cluster's, without leader election unless
// configure turns it on, and waits until its health endpoint is up. It logs to the test at info
// level and stops when the test ends (see Start).
func StartScheduler(tb testing.TB, endpoints []string, configure func(*server.Config)) *Scheduler {
	tb.Helper()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.APIServers = endpoints
	cfg.LeaderElect = false
	cfg.ShutdownTimeout = 5 * time.Second
	if c := secureClusterOf(endpoints); c != nil {
		cfg.Kubeconfig = c.Kubeconfig(clusterpki.SchedulerName)
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := server.New(cfg, zaptest.NewLogger(tb, zaptest.Level(zap.InfoLevel)).Named("scheduler"))
	if err != nil {
		tb.Fatalf("scheduler: %v", err)
	}
	s := &Scheduler{Running: Start(tb, srv), Server: srv}
	s.WaitFor(30*time.Second, func() bool { return srv.Addr() != nil }, "scheduler health endpoint up")
	return s
}

// Metrics returns the scheduler's metric samples (see ScrapeMetrics).
func (s *Scheduler) Metrics(tb testing.TB) map[string]float64 {
	tb.Helper()
	return ScrapeMetrics(tb, s.Server.Addr().String())
}

// Metric returns one sample of the scheduler's metrics, such as
// `scheduler_schedule_attempts_total{result="scheduled"}`; 0 when absent.
func (s *Scheduler) Metric(tb testing.TB, sample string) float64 {
	tb.Helper()
	return s.Metrics(tb)[sample]
}
