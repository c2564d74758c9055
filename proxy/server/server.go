// Package server is the embeddable keelson-proxy: New builds it from a Config without starting
// anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// Today the proxy serves its health endpoint (port 10256) and metrics endpoint (port 10249) only;
// it does not yet watch services or forward traffic.
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

// Server is the proxy of one node.
type Server struct {
	cfg      Config
	nodeName string
	lg       *zap.Logger
	health   *run.HTTPEndpoint
	metrics  *run.HTTPEndpoint
}

// New validates cfg, settles the node name and builds a proxy. It starts no goroutine and opens
// no port.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid proxy configuration: %w", err)
	}
	nodeName, err := config.NodeName(cfg.HostnameOverride)
	if err != nil {
		return nil, err
	}
	checks := healthz.Config{Live: []healthz.Check{healthz.Ping()}}
	health, err := healthz.NewEndpoint(cfg.Address(), cfg.ShutdownTimeout, checks)
	if err != nil {
		return nil, err
	}
	// As in Kubernetes, the metrics port answers health checks too.
	checks.Metrics = healthz.NewRegistry()
	metrics, err := healthz.NewEndpoint(cfg.metricsAddress(), cfg.ShutdownTimeout, checks)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:      cfg,
		nodeName: nodeName,
		lg:       lg.With(zap.String("node", nodeName)),
		health:   health,
		metrics:  metrics,
	}, nil
}

// NodeName returns the name of the node this proxy serves.
func (s *Server) NodeName() string {
	return s.nodeName
}

// Run serves /healthz, /livez and /readyz on the health port and /metrics on the metrics port
// until ctx ends, then stops accepting connections on both, lets in-flight requests finish within
// the shutdown timeout and returns. If either endpoint fails, the other is stopped too. It returns
// nil after a clean shutdown and must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	s.lg.Info("proxy starting",
		zap.String("healthz", s.cfg.Address()),
		zap.String("metrics", s.cfg.metricsAddress()),
		zap.Strings("apiservers", s.cfg.APIServers))
	err := run.Group(ctx, s.health.Run, s.metrics.Run)
	s.lg.Info("proxy stopped", zap.Error(err))
	return err
}

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}

// MetricsAddr returns the address the metrics endpoint listens on, or nil until Run has opened
// it.
func (s *Server) MetricsAddr() net.Addr {
	return s.metrics.Addr()
}
