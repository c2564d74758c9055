// Package server is the embeddable keelson-kubelet: New builds it from a Config without starting
// anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// Today the kubelet serves its health and metrics endpoint only; it does not yet register its node
// or run pods.
package server

import (
	"context"
	"fmt"
	"net"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/run"
)

// Server is the kubelet of one node.
type Server struct {
	cfg      Config
	nodeName string
	lg       *zap.Logger
	health   *run.HTTPEndpoint
}

// New validates cfg, settles the node name and builds a kubelet. It starts no goroutine and opens
// no port.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid kubelet configuration: %w", err)
	}
	nodeName, err := config.NodeName(cfg.HostnameOverride)
	if err != nil {
		return nil, err
	}
	health, err := healthz.NewEndpoint(cfg.Address(), cfg.ShutdownTimeout, healthz.Config{
		Live:    []healthz.Check{healthz.Ping()},
		Metrics: healthz.NewRegistry(),
	})
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:      cfg,
		nodeName: nodeName,
		lg:       lg.With(zap.String("node", nodeName)),
		health:   health,
	}, nil
}

// NodeName returns the name of the node this kubelet runs.
func (s *Server) NodeName() string {
	return s.nodeName
}

// Run serves /healthz, /livez, /readyz and /metrics until ctx ends, then stops accepting
// connections, lets in-flight requests finish within the shutdown timeout and returns. It returns
// nil after a clean shutdown and must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	s.lg.Info("kubelet starting", zap.String("healthz", s.cfg.Address()), zap.Strings("apiservers", s.cfg.APIServers))
	err := run.Group(ctx, s.health.Run)
	s.lg.Info("kubelet stopped", zap.Error(err))
	return err
}

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}
