package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/soheilhy/cmux"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/keelson-dev/keelson/apiserver/internal/grpcapi"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/version"
	"github.com/keelson-dev/keelson/pkg/wire"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// maxGRPCMessageBytes bounds one gRPC message; larger requests fail with RESOURCE_EXHAUSTED
// before they are read.
const maxGRPCMessageBytes = 4 * 1024 * 1024

// Server is one API server replica.
type Server struct {
	cfg Config
	lg  *zap.Logger

	ready chan struct{}
	mu    sync.Mutex
	addr  net.Addr
	reg   *registry.Registry
	etcd  *clientv3.Client
}

// New checks cfg and returns a server; nothing starts until Run.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, lg: lg, ready: make(chan struct{})}, nil
}

// Ready is closed once the server serves: storage loaded, watch caches filled, system namespaces
// present, gRPC health SERVING.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the address the server listens on, or nil before it listens.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Registry returns the service layer once Run has built it (tests inspect its watch caches).
func (s *Server) Registry() *registry.Registry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reg
}

// EtcdClient returns the etcd client once Run has connected it.
func (s *Server) EtcdClient() *clientv3.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.etcd
}

// Run starts etcd (when embedded), loads the watch caches and serves until ctx ends. Shutdown
// order: gRPC health turns NOT_SERVING and /readyz fails; watches end so clients move to another
// replica; the listener closes and in-flight requests get ShutdownTimeout to finish; then the
// caches, the compactor, the etcd client and the embedded etcd stop, in that order.
func (s *Server) Run(ctx context.Context) error {
	var cli *clientv3.Client
	opts := storage.Options{MaxValue: s.cfg.MaxObjectBytes, MaxWritesInFlight: s.cfg.EtcdMaxWritesInFlight}
	if len(s.cfg.EtcdServers) == 0 {
		e, url, err := startEmbeddedEtcd(s.cfg, s.lg)
		if err != nil {
			return err
		}
		defer e.Close()
		// The embedded member is served in-process: calls go straight to its KV server, and
		// watches read its store, with no gRPC or loopback connection between the two. Its client
		// URL stays open for etcdctl.
		cli = v3client.New(e.Server)
		opts.Local = e.Server.Watchable()
		s.lg.Info("embedded etcd started", zap.String("dataDir", s.cfg.DataDir), zap.String("url", url))
	} else {
		var err error
		if cli, err = newEtcdClient(ctx, s.cfg.EtcdServers, s.lg); err != nil {
			return err
		}
	}
	defer func() { _ = cli.Close() }()

	sch := scheme.Builtin()
	store := storage.New(cli, storage.NewCodec(sch), opts)
	reg, err := registry.New(registry.Config{
		Scheme:        sch,
		Storage:       store,
		Prefix:        s.cfg.EtcdPrefix,
		MaxObjectSize: s.cfg.MaxObjectBytes,
		Cache: watchcache.Config{
			Capacity:         s.cfg.WatchCacheSize,
			WatcherBuffer:    s.cfg.WatchBufferSize,
			BookmarkInterval: s.cfg.WatchBookmarkInterval,
		},
		Logger: s.lg,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.BindAddress, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.mu.Lock()
	s.addr, s.reg, s.etcd = ln.Addr(), reg, cli
	s.mu.Unlock()

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gm := grpcapi.NewMetrics(metrics)
	metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keelson_apiserver_watchers",
		Help: "Client watches served by the watch caches.",
	}, func() float64 { return float64(reg.WatcherCount()) }))

	svc := grpcapi.New(reg, s.lg)
	gs := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxGRPCMessageBytes),
		grpc.ForceServerCodecV2(wire.Codec{}),
		// Clients ping every 10s to notice dead servers under idle watches.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(grpcapi.UnaryInterceptor(gm, s.lg)),
		grpc.ChainStreamInterceptor(grpcapi.StreamInterceptor(gm, s.lg)),
	)
	resourcev1.RegisterResourceServiceServer(gs, svc)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)

	var serving sync.Once
	isReady := func() bool {
		select {
		case <-s.ready:
			return true
		default:
			return false
		}
	}
	mux := http.NewServeMux()
	if err := healthz.Install(mux, healthz.Config{
		Live: []healthz.Check{healthz.Ping()},
		Ready: []healthz.Check{
			{Name: "etcd", Fn: func(r *http.Request) error {
				cctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
				defer cancel()
				_, err := cli.Get(cctx, "health")
				return err
			}},
			{Name: "watch-caches", Fn: func(*http.Request) error {
				if !isReady() {
					return errors.New("watch caches are loading")
				}
				return nil
			}},
		},
		Metrics: metrics,
	}); err != nil {
		_ = ln.Close()
		return err
	}
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(version.Get())
	})
	restDraining := make(chan struct{})
	if err := rest.New(reg, restDraining, s.lg).Install(mux); err != nil {
		_ = ln.Close()
		return err
	}
	hsrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	m := cmux.New(ln)
	grpcL := m.MatchWithWriters(cmux.HTTP2MatchHeaderFieldSendSettings("content-type", "application/grpc"))
	httpL := m.Match(cmux.Any())

	bg, bgCtx := errgroup.WithContext(context.Background())
	stopBackground := make(chan struct{})
	bgRun := func(fn func(context.Context) error) {
		bg.Go(func() error {
			c, cancel := context.WithCancel(bgCtx)
			defer cancel()
			go func() {
				select {
				case <-stopBackground:
				case <-c.Done():
				}
				cancel()
			}()
			return fn(c)
		})
	}
	bgRun(reg.Run)
	bgRun(func(c context.Context) error { return store.RunCompactor(c, s.cfg.CompactionInterval, s.lg) })
	bgRun(func(c context.Context) error {
		if err := reg.WaitReady(c); err != nil {
			return nil
		}
		if err := reg.EnsureSystemNamespaces(c); err != nil {
			if c.Err() != nil {
				return nil
			}
			return fmt.Errorf("create system namespaces: %w", err)
		}
		hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		hs.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
		serving.Do(func() { close(s.ready) })
		s.lg.Info("apiserver ready", zap.Stringer("address", ln.Addr()))
		return nil
	})

	serveErr := make(chan error, 3)
	go func() { serveErr <- ignoreClosed(gs.Serve(grpcL)) }()
	go func() { serveErr <- ignoreClosed(hsrv.Serve(httpL)) }()
	go func() { serveErr <- ignoreClosed(m.Serve()) }()

	var runErr error
	select {
	case <-ctx.Done():
	case <-bgCtx.Done():
	case runErr = <-serveErr:
	}

	// Shut down in the documented order.
	hs.Shutdown()
	svc.Drain()
	close(restDraining)
	_ = ln.Close()
	grpcDone := make(chan struct{})
	go func() { gs.GracefulStop(); close(grpcDone) }()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	_ = hsrv.Shutdown(sctx)
	select {
	case <-grpcDone:
	case <-sctx.Done():
		gs.Stop()
		<-grpcDone
	}
	m.Close()
	close(stopBackground)
	if err := bg.Wait(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) ||
		errors.Is(err, cmux.ErrListenerClosed) || errors.Is(err, cmux.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}
