// Package server is the embeddable keelson-proxy: New builds it from a Config without starting
// anything, Run serves until its context ends. The test framework runs it in-process; cmd/ and app/
// only wire flags, logging and signals around it.
//
// The proxy mirrors Services and Endpoints through one shared informer factory and, in userspace
// mode, forwards each service port's traffic from clusterIP:port and nodeIP:nodePort to its ready
// endpoints (package userspace). /healthz (port 10256) answers as kube-proxy's does; /metrics
// (port 10249) has the forwarding and sync metrics.
package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/run"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/proxy/internal/health"
	"github.com/keelson-dev/keelson/proxy/internal/ipaddr"
	"github.com/keelson-dev/keelson/proxy/internal/metrics"
	"github.com/keelson-dev/keelson/proxy/internal/userspace"
)

// healthTimeout is how long a change may wait to be applied before /healthz reports failure.
const healthTimeout = 10 * time.Second

// Server is the proxy of one node.
type Server struct {
	cfg      Config
	nodeName string
	lg       *zap.Logger
	metrics  *metrics.Metrics
	health   *run.HTTPEndpoint
	metricsE *run.HTTPEndpoint
	proxier  atomic.Pointer[userspace.Proxier]
	// synced is closed once the informers have synced.
	synced chan struct{}
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
	healthAddr, _ := cfg.healthzAddress() // Validate checked both
	metricsAddr, _ := cfg.metricsAddress()
	reg := healthz.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return nil, fmt.Errorf("register proxy metrics: %w", err)
	}
	s := &Server{cfg: cfg, nodeName: nodeName, lg: lg.With(zap.String("node", nodeName)), metrics: m,
		synced: make(chan struct{})}
	s.health = run.NewHTTPEndpoint(healthAddr, health.NewHandler(s, clock.RealClock{}, healthTimeout), cfg.ShutdownTimeout)
	// As in Kubernetes, the metrics port answers health checks too.
	s.metricsE, err = healthz.NewEndpoint(metricsAddr, cfg.ShutdownTimeout,
		healthz.Config{Live: []healthz.Check{healthz.Ping()}, Metrics: reg})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// NodeName returns the name of the node this proxy serves.
func (s *Server) NodeName() string {
	return s.nodeName
}

// Health reports the forwarding rules' state for /healthz: never synced until Run has synced.
func (s *Server) Health() (lastSync, pendingSince time.Time) {
	if p := s.proxier.Load(); p != nil {
		return p.Health()
	}
	return time.Time{}, time.Time{}
}

// Run serves /healthz and /metrics, mirrors Services and Endpoints and forwards their traffic
// until ctx ends. Forwarding starts once the informers have synced, so no rule is built from a
// partial cache. Shutdown: the forwarders close their listeners and connections and remove the
// cluster IPs they added, the informers stop, and the HTTP endpoints drain within the shutdown
// timeout. If any part fails, the others are stopped too. It returns nil after a clean shutdown
// and must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	healthAddr, _ := s.cfg.healthzAddress()
	metricsAddr, _ := s.cfg.metricsAddress()
	s.lg.Info("proxy starting",
		zap.String("mode", s.cfg.ProxyMode),
		zap.String("nodeIP", s.cfg.BindAddress),
		zap.String("healthz", healthAddr),
		zap.String("metrics", metricsAddr),
		zap.Strings("apiservers", s.cfg.APIServers), zap.String("kubeconfig", s.cfg.Kubeconfig))
	c, err := s.cfg.APIClient.NewClient("keelson-proxy", s.lg.Named("client"))
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }() // closing a client whose calls have all returned cannot fail usefully

	f := informer.NewFactory(c, informer.FactoryOptions{Logger: s.lg.Named("informers")})
	src := source{services: informer.For[*corev1.Service](f), endpoints: informer.For[*corev1.Endpoints](f)}
	var addrs userspace.Addresses
	if s.cfg.ClusterIPInterface != "" {
		addrs = ipaddr.New(s.cfg.ClusterIPInterface, nil)
	}
	p := userspace.New(src, userspace.Options{
		NodeIP:         netip.MustParseAddr(s.cfg.BindAddress), // Validate checked it
		UDPIdleTimeout: s.cfg.UDPTimeout,
		Metrics:        s.metrics,
		Addresses:      addrs,
		Logger:         s.lg.Named("userspace"),
	})
	src.notify(p.Changed)
	s.proxier.Store(p)

	forward := func(ctx context.Context) error {
		if !f.WaitForSync(ctx) {
			return nil
		}
		close(s.synced)
		return p.Run(ctx)
	}
	err = run.Group(ctx, s.health.Run, s.metricsE.Run, f.Run, forward)
	s.lg.Info("proxy stopped", zap.Error(err))
	return err
}

// Ready is closed once the proxy has synced its Services and Endpoints and starts forwarding.
func (s *Server) Ready() <-chan struct{} { return s.synced }

// Addr returns the address the health endpoint listens on, or nil until Run has opened it.
func (s *Server) Addr() net.Addr {
	return s.health.Addr()
}

// MetricsAddr returns the address the metrics endpoint listens on, or nil until Run has opened
// it.
func (s *Server) MetricsAddr() net.Addr {
	return s.metricsE.Addr()
}
