// Package server is the embeddable keelson-controller-manager: New builds it from a Config without
// starting anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// Today the controller manager serves its health and metrics endpoint only; it runs no controller
// yet.
package server

import (
	"context"
	"fmt"
	"net"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/run"
)

// Server is one controller manager process.
type Server struct {
	cfg    Config
	lg     *zap.Logger
	health *run.HTTPEndpoint
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
	return &Server{
		cfg:    cfg,
		lg:     lg,
		health: health,
	}, nil
}

// Run serves /healthz, /livez, /readyz and /metrics until ctx ends, then stops accepting
// connections, lets in-flight requests finish within the shutdown timeout and returns. It returns
// nil after a clean shutdown and must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	s.lg.Info("controller manager starting",
		zap.String("health", s.cfg.Address()),
		zap.Strings("apiservers", s.cfg.APIServers),
		zap.Bool("leaderElect", s.cfg.LeaderElect))
	err := run.Group(ctx, s.health.Run)
	s.lg.Info("controller manager stopped", zap.Error(err))
	return err
}

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}
