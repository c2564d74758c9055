package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/soheilhy/cmux"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/quota"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/grpcapi"
	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/tolerationseconds"
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

// parts is a built server: everything Run serves, and what it releases afterwards.
type parts struct {
	srv   *Server
	etcd  *etcdBackend
	store *storage.Store
	reg   *registry.Registry
	alloc *allocation
	// nodeFeed keeps the Node authorizer's pod graph current.
	nodeFeed *node.Feed

	ln     net.Listener
	mux    cmux.CMux
	grpcL  net.Listener
	httpL  net.Listener
	grpc   *grpc.Server
	health *health.Server
	http   *http.Server
}

// build is Run's first step: it connects storage and builds every part without serving. On
// failure it releases what it built.
func (s *Server) build(ctx context.Context) (*parts, error) {
	be, err := connectEtcd(ctx, s.cfg, s.lg)
	if err != nil {
		return nil, err
	}
	p, err := s.buildOn(be)
	if err != nil {
		be.Close()
		return nil, err
	}
	return p, nil
}

// buildOn builds the storage, the registry and the servers on be, and listens.
func (s *Server) buildOn(be *etcdBackend) (*parts, error) {
	sch := scheme.Builtin()
	store := storage.New(be.client, storage.NewCodec(sch), be.opts)
	al, err := s.newAllocation(be, store)
	if err != nil {
		return nil, err
	}
	reg, err := registry.New(registry.Config{
		Scheme:        sch,
		Storage:       store,
		Prefix:        s.cfg.EtcdPrefix,
		MaxObjectSize: s.cfg.MaxObjectBytes,
		Patch: registry.PatchLimits{
			MaxJSONPatchOperations: s.cfg.MaxJSONPatchOperations,
			MaxJSONPatchCopyBytes:  int64(s.cfg.JSONPatchMaxCopyBytes),
			MaxPatchedBytes:        s.cfg.MaxRequestBodyBytes,
		},
		Cache: watchcache.Config{
			Capacity:         s.cfg.WatchCacheSize,
			WatcherBuffer:    s.cfg.WatchBufferSize,
			BookmarkInterval: s.cfg.WatchBookmarkInterval,
		},
		DefaultTolerationSeconds: &tolerationseconds.Defaulter{
			NotReady: s.cfg.DefaultNotReadyTolerationSeconds, Unreachable: s.cfg.DefaultUnreachableTolerationSeconds,
		},
		Hooks:  al.hooks(),
		Clock:  s.cfg.Clock,
		Logger: s.lg,
	})
	if err != nil {
		return nil, err
	}
	quotas, err := quota.New(reg)
	if err != nil {
		return nil, err
	}
	reg.AddAdmission(quotas)
	nodeFeed, err := s.buildNodeAuth(reg)
	if err != nil {
		return nil, err
	}
	if err := s.buildTokenRequest(reg); err != nil {
		return nil, err
	}
	p := &parts{srv: s, etcd: be, store: store, reg: reg, alloc: al, nodeFeed: nodeFeed}

	metrics := prometheus.NewRegistry()
	metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keelson_apiserver_watchers",
		Help: "Client watches served by the watch caches.",
	}, func() float64 { return float64(reg.WatcherCount()) }))
	lim := limits.New(limits.Config{
		MaxRequestsInflight:         s.cfg.MaxRequestsInflight,
		MaxMutatingRequestsInflight: s.cfg.MaxMutatingRequestsInflight,
		MaxWatchesPerClient:         s.cfg.MaxWatchesPerClient,
	})
	p.grpc, p.health = s.newGRPC(reg, grpcapi.NewMetrics(metrics), lim)
	mux := http.NewServeMux()
	if err := s.installHTTP(mux, p, metrics, lim); err != nil {
		return nil, err
	}
	p.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ln, err := net.Listen("tcp", s.cfg.Address())
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	p.ln = ln
	p.mux = cmux.New(ln)
	// gRPC's content type may carry a subtype ("application/grpc+proto", which a client that
	// names its codec sends), so the prefix decides; REST never sends it.
	p.grpcL = p.mux.MatchWithWriters(cmux.HTTP2MatchHeaderFieldPrefixSendSettings("content-type", "application/grpc"))
	p.httpL = p.mux.Match(cmux.Any())
	s.mu.Lock()
	s.addr, s.reg, s.etcd = ln.Addr(), reg, be.client
	s.mu.Unlock()
	return p, nil
}

// newGRPC returns the gRPC server with the resource service, held to lim and the request timeout,
// health (NOT_SERVING until the server is ready) and reflection.
func (s *Server) newGRPC(reg *registry.Registry, gm *grpcapi.Metrics, lim *limits.Limiter) (*grpc.Server, *health.Server) {
	gs := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxGRPCMessageBytes),
		grpc.ForceServerCodecV2(wire.Codec{}),
		// Clients ping every 10s to notice dead servers under idle watches.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(grpcapi.UnaryInterceptor(gm, s.lg), grpcapi.LimitUnary(lim, s.cfg.RequestTimeout)),
		grpc.ChainStreamInterceptor(grpcapi.StreamInterceptor(gm, s.lg), grpcapi.LimitStream(lim)),
	)
	resourcev1.RegisterResourceServiceServer(gs, grpcapi.New(reg, s.lg))
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return gs, hs
}

// installHTTP mounts health, metrics, /version and the REST API, held to lim and the request
// limits, on mux.
func (s *Server) installHTTP(mux *http.ServeMux, p *parts, metrics *prometheus.Registry, lim *limits.Limiter) error {
	cli := p.etcd.client
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
				if !s.isReady() {
					return errors.New("watch caches are loading")
				}
				return nil
			}},
		},
		Metrics: metrics,
	}); err != nil {
		return err
	}
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(version.Get())
	})
	return rest.New(p.reg, s.lg, rest.Limits{
		Inflight:        lim,
		MaxBodyBytes:    int64(s.cfg.MaxRequestBodyBytes),
		BodyReadTimeout: s.cfg.RequestBodyReadTimeout,
		RequestTimeout:  s.cfg.RequestTimeout,
	}).Install(mux)
}
