// Package server is the embeddable keelson-scheduler: New builds it from a Config without starting
// anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// With leader election on (the default), replicas compete for the Lease
// <leader-elect-resource-namespace>/<leader-elect-resource-name> (kube-system/keelson-scheduler)
// under the identity <hostname>_<uuid>; only the holder schedules. A leader that cannot renew the
// lease stops scheduling and Run returns leaderelection.ErrLeadershipLost, so the process exits
// non-zero and its supervisor restarts it as a standby, as kube-scheduler does.
package server

import (
	"context"
	"fmt"
	"net"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/leaderelection"
	"github.com/keelson-dev/keelson/pkg/run"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/internal/metrics"
	"github.com/keelson-dev/keelson/scheduler/internal/scheduler"
)

// Server is one scheduler process.
type Server struct {
	cfg      Config
	lg       *zap.Logger
	health   *run.HTTPEndpoint
	metrics  *metrics.Metrics
	identity string
}

// New validates cfg and builds a scheduler. It starts no goroutine and opens no port.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid scheduler configuration: %w", err)
	}
	reg := healthz.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return nil, fmt.Errorf("scheduler metrics: %w", err)
	}
	health, err := healthz.NewEndpoint(cfg.Address(), cfg.ShutdownTimeout, healthz.Config{
		Live:    []healthz.Check{healthz.Ping()},
		Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	identity, err := leaderelection.NewIdentity()
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:      cfg,
		lg:       lg,
		health:   health,
		metrics:  m,
		identity: identity,
	}, nil
}

// Identity returns the name this scheduler goes by in leader election.
func (s *Server) Identity() string { return s.identity }

// Run serves /healthz, /livez, /readyz and /metrics, keeps the scheduler's informers, cache and
// queue current, and schedules — at once without leader election, else while this replica holds
// the lease (a standby's caches are warm when it takes over) — until ctx ends or leadership is
// lost. On ctx's end it stops scheduling, waits for the bindings in flight, gives the lease up so
// a standby takes over at once, stops the health endpoint within the shutdown timeout and returns
// nil. It returns leaderelection.ErrLeadershipLost when this scheduler led and could not renew the
// lease, and must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	s.lg.Info("scheduler starting",
		zap.String("health", s.cfg.Address()),
		zap.Strings("apiservers", s.cfg.APIServers), zap.String("kubeconfig", s.cfg.Kubeconfig),
		zap.Bool("leaderElect", s.cfg.LeaderElect),
		zap.String("identity", s.identity),
		zap.String("provider", s.cfg.AlgorithmProvider))
	c, err := s.cfg.APIClient.NewClient("keelson-scheduler", s.lg.Named("client"))
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // closing a client whose calls have all returned cannot fail usefully
	informers := informer.NewFactory(c, informer.FactoryOptions{Logger: s.lg.Named("informers")})
	sched, err := scheduler.New(scheduler.Config{
		Client:                   c,
		Informers:                informers,
		SchedulerName:            s.cfg.SchedulerName,
		Registry:                 algorithmprovider.NewDefaultRegistry(),
		Provider:                 s.cfg.AlgorithmProvider,
		PercentageOfNodesToScore: int32(s.cfg.PercentageOfNodesToScore),
		Parallelism:              s.cfg.Parallelism,
		BindConcurrency:          s.cfg.BindConcurrency,
		InitialBackoff:           s.cfg.PodInitialBackoff,
		MaxBackoff:               s.cfg.PodMaxBackoff,
		Host:                     s.identity,
		Metrics:                  s.metrics,
		Logger:                   s.lg,
	})
	if err != nil {
		return err
	}
	lead := s.leading(sched.Schedule)
	if s.cfg.LeaderElect {
		le := leaderelection.LeaseConfig(s.cfg.LeaderElection, c, s.identity)
		le.Logger = s.lg.Named("leaderelection")
		lead = leaderelection.Lead(le, lead)
	}
	err = run.Group(ctx, s.health.Run, informers.Run, sched.RunWatches, lead)
	s.lg.Info("scheduler stopped", zap.Error(err))
	return err
}

// leading wraps schedule so that the leader metric says when it runs.
func (s *Server) leading(schedule func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		s.metrics.Leader.Set(1)
		defer s.metrics.Leader.Set(0)
		return schedule(ctx)
	}
}

// Ready is closed once the scheduler has started: its health endpoint listens, whether or not it
// leads.
func (s *Server) Ready() <-chan struct{} { return s.health.Listening() }

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}
