package server

import (
	"context"
	"net"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// Server is one API server replica.
type Server struct {
	cfg Config
	lg  *zap.Logger

	ready     chan struct{}
	readyOnce sync.Once
	mu        sync.Mutex
	addr      net.Addr
	// insecureAddr is the plain-text port's address, nil when there is none.
	insecureAddr net.Addr
	reg          *registry.Registry
	etcd         *clientv3.Client
	// authorizer is the --authorization-mode chain, set once built.
	authorizer authz.Authorizer
	etcdURL    string
	nodeAuthz  *node.Authorizer
}

// New checks cfg and returns a server; nothing starts until Run.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Server{cfg: cfg, lg: lg, ready: make(chan struct{})}, nil
}

// Ready is closed once the server serves: storage loaded, watch caches filled, system namespaces
// present, gRPC health SERVING.
func (s *Server) Ready() <-chan struct{} { return s.ready }

func (s *Server) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }

func (s *Server) isReady() bool {
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// Addr returns the address the server listens on, or nil before it listens.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// InsecureAddr returns the address of the plain-text port, or nil when there is none or before
// the server listens.
func (s *Server) InsecureAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insecureAddr
}

// Registry returns the service layer once Run has built it (tests inspect its watch caches).
func (s *Server) Registry() *registry.Registry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reg
}

// Authorizer returns the authorizer chain --authorization-mode configures once Run has built it,
// or nil before: the authentication filters judge requests with it.
func (s *Server) Authorizer() authz.Authorizer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authorizer
}

// EtcdClient returns the etcd client once Run has connected it.
func (s *Server) EtcdClient() *clientv3.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etcd
}

// EmbeddedEtcdURL returns the client URL of the embedded etcd member once Run has started it, or
// "" on an external cluster.
func (s *Server) EmbeddedEtcdURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etcdURL
}

// Run serves until ctx ends or a part of the server fails, in three steps.
//
// Build starts the embedded etcd (or connects to the external cluster), builds the storage, the
// registry with its watch caches, the gRPC and HTTP servers and the listener; nothing serves yet.
//
// Serve runs, in one run.Group, the listener's gRPC and HTTP servers, the watch caches, the
// compactor, the feed of the Node authorizer's pod graph, and the step that marks the server ready
// once the caches and the graph are loaded and the system namespaces exist.
//
// Shutdown, when ctx ends or any of those fails: gRPC health turns NOT_SERVING; the registry drains,
// ending every watch and followed log so clients move to another replica; the listener closes and
// in-flight requests get ShutdownTimeout to finish; then the caches, the compactor and the audit
// log (which first writes the events still queued) stop, and last the etcd client and the embedded
// etcd close, in that order. Run returns the first error of any part, or nil after a clean stop.
func (s *Server) Run(ctx context.Context) error {
	p, err := s.build(ctx)
	if err != nil {
		return err
	}
	defer p.etcd.Close()
	return p.run(ctx)
}
