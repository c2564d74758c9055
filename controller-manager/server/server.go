// Package server is the embeddable keelson-controller-manager: New builds it from a Config without
// starting anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// With leader election on (the default), replicas compete for the Lease
// <leader-elect-resource-namespace>/<leader-elect-resource-name>
// (kube-system/keelson-controller-manager) under the identity <hostname>_<uuid>; only the holder
// runs controllers. A leader that cannot renew the lease (etcd or every apiserver away for longer
// than the renew deadline) stops its controllers, waits until they have all returned and campaigns
// again as a standby: since each term builds its controllers afresh, the process recovers by
// itself instead of exiting for its supervisor to restart it, as kube-controller-manager does.
//
// The leader runs the controllers --controllers selects from Controllers(), all built on one
// informer factory that starts once every controller has registered its informers; workers start
// after every informer has synced. Each leadership term builds them afresh.
package server

import (
	"context"
	"fmt"
	"net"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/leaderelection"
	"github.com/keelson-dev/keelson/pkg/run"
)

// Server is one controller manager process.
type Server struct {
	cfg      Config
	lg       *zap.Logger
	health   *run.HTTPEndpoint
	identity string
}

// New validates cfg and builds a controller manager. It starts no goroutine and opens no port.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid controller manager configuration: %w", err)
	}
	health, err := healthz.NewEndpoint(cfg.Address(), cfg.ShutdownTimeout, healthz.Config{
		Live:    []healthz.Check{healthz.Ping()},
		Metrics: healthz.NewRegistry(),
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
		identity: identity,
	}, nil
}

// Identity returns the name this controller manager goes by in leader election.
func (s *Server) Identity() string { return s.identity }

// Run serves /healthz, /livez, /readyz and /metrics and runs the controllers — at once without
// leader election, else during each term this replica holds the lease — until ctx ends. On ctx's
// end it stops the controllers, gives the lease up so a standby takes over at once, stops the
// health endpoint within the shutdown timeout and returns nil. It must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	s.lg.Info("controller manager starting",
		zap.String("health", s.cfg.Address()),
		zap.Strings("apiservers", s.cfg.APIServers), zap.String("kubeconfig", s.cfg.Kubeconfig),
		zap.Bool("leaderElect", s.cfg.LeaderElect),
		zap.String("identity", s.identity))
	c, err := s.cfg.APIClient.NewClient("keelson-controller-manager", s.lg.Named("client"))
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // closing a client whose calls have all returned cannot fail usefully
	lead := func(ctx context.Context) error { return s.runControllers(ctx, c) }
	if s.cfg.LeaderElect {
		le := leaderelection.LeaseConfig(s.cfg.LeaderElection, c, s.identity)
		le.Logger = s.lg.Named("leaderelection")
		lead = leaderelection.LeadTerms(le, lead)
	}
	err = run.Group(ctx, s.health.Run, lead)
	s.lg.Info("controller manager stopped", zap.Error(err))
	return err
}

// runControllers is the leader-only work: every selected controller, until ctx ends.
func (s *Server) runControllers(ctx context.Context, c *client.Client) error {
	s.lg.Info("running controllers", zap.String("identity", s.identity))
	return manager.Run(ctx, manager.Options{
		Client: c, Logger: s.lg.Named("controllers"), Config: s.cfg.Controllers, Host: s.identity,
	}, Controllers())
}

// Ready is closed once the controller manager has started: its health endpoint listens, whether or not it
// leads.
func (s *Server) Ready() <-chan struct{} { return s.health.Listening() }

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}
