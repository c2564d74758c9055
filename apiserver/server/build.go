package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/soheilhy/cmux"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/quota"
	"github.com/keelson-dev/keelson/apiserver/internal/audit"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/filter"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/embedetcd"
	"github.com/keelson-dev/keelson/apiserver/internal/grpcapi"
	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/rest"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/tlsserving"
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
	authz *authorization
	// audit records every request when the audit log is on (nil otherwise).
	audit *audit.Logger
	// nodeFeed keeps the Node authorizer's pod graph current.
	nodeFeed *node.Feed

	// ln is the API port; fronts split it, and the plain-text port if any, between grpc and http.
	ln     net.Listener
	fronts []*front
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
	opts := be.opts
	if s.cfg.EncryptionProviderConfig != "" {
		t, err := encryptionRouter(s.cfg.EncryptionProviderConfig, s.cfg.EtcdPrefix, sch)
		if err != nil {
			return nil, err
		}
		opts.Transformer = t
	}
	store := storage.New(be.client, storage.NewCodec(sch), opts)
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
	az, err := newAuthorization(s.cfg.Auth.AuthorizationModes, reg, s.NodeAuthorizer())
	if err != nil {
		return nil, err
	}
	p := &parts{srv: s, etcd: be, store: store, reg: reg, alloc: al, authz: az, nodeFeed: nodeFeed}
	if s.cfg.AuditLogPath != "" {
		if p.audit, err = audit.New(audit.Config{
			Path:       s.cfg.AuditLogPath,
			MaxSizeMB:  s.cfg.AuditLogMaxSize,
			MaxBackups: s.cfg.AuditLogMaxBackup,
			MaxAgeDays: s.cfg.AuditLogMaxAge,
			Clock:      s.cfg.Clock,
		}, s.lg); err != nil {
			return nil, err
		}
	}

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
		QueueWait:                   s.cfg.InflightQueueWait,
	})
	for class, name := range map[limits.Class]string{limits.ReadOnly: "readOnly", limits.Mutating: "mutating"} {
		metrics.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "keelson_apiserver_inflight_queued_requests",
			Help:        "Requests waiting for a slot under --max-requests-inflight or --max-mutating-requests-inflight.",
			ConstLabels: prometheus.Labels{"request_kind": name},
		}, func() float64 { return float64(lim.Queued(class)) }))
	}
	auth, err := s.newAuthFilter(reg, az.chain)
	if err != nil {
		return nil, err
	}
	p.grpc, p.health = s.newGRPC(reg, grpcapi.NewMetrics(metrics), lim, auth, p.audit)
	mux := http.NewServeMux()
	if err := s.installHTTP(mux, p, metrics, lim); err != nil {
		return nil, err
	}
	// Audit first, so a request refused by authentication or authorization is recorded too.
	handler := filter.HTTP(mux, auth)
	if p.audit != nil {
		handler = p.audit.HTTP(handler)
	}
	p.http = &http.Server{Handler: tlsserving.Handler(handler), ConnContext: tlsserving.ConnContext, ReadHeaderTimeout: 10 * time.Second}

	if err := s.listen(p); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.addr, s.reg, s.etcd, s.authorizer = p.ln.Addr(), reg, be.client, az.chain
	if be.member != nil {
		s.etcdURL = embedetcd.ClientURL(be.member)
	}
	s.mu.Unlock()
	return p, nil
}

// front is one listener split between the gRPC and the HTTP server.
type front struct {
	ln    net.Listener
	mux   cmux.CMux
	grpcL net.Listener
	httpL net.Listener
}

func newFront(ln net.Listener) *front {
	m := cmux.New(ln)
	return &front{
		ln:  ln,
		mux: m,
		// gRPC's content type may carry a subtype ("application/grpc+proto", which a client that
		// names its codec sends), so the prefix decides; REST never sends it.
		grpcL: m.MatchWithWriters(cmux.HTTP2MatchHeaderFieldPrefixSendSettings("content-type", "application/grpc")),
		httpL: m.Match(cmux.Any()),
	}
}

// listen opens the API port, TLS-terminated with the configured serving certificate, or else a
// self-signed one unless ServePlainText, and the plain-text loopback port when asked for.
func (s *Server) listen(p *parts) error {
	var tlsCfg *tls.Config
	if s.cfg.TLSCertFile != "" || !s.cfg.ServePlainText {
		certFile, keyFile := s.cfg.TLSCertFile, s.cfg.TLSPrivateKeyFile
		if certFile == "" {
			var generated bool
			var err error
			if certFile, keyFile, generated, err = s.cfg.selfSignedCert(time.Now()); err != nil {
				return err
			}
			s.lg.Warn("no --tls-cert-file: serving with a self-signed certificate, which clients trust only by holding it (kubectl --certificate-authority); give the apiserver a certificate of the cluster's CA (keelson-pki) instead",
				zap.String("certificate", certFile), zap.Bool("generated", generated))
		}
		var err error
		if tlsCfg, err = tlsserving.ServerConfig(certFile, keyFile, s.cfg.ClientCAFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", s.cfg.Address())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	} else {
		s.lg.Warn("SERVING THE API IN PLAIN TEXT: anyone who reaches the port can read and change everything",
			zap.Stringer("address", ln.Addr()))
	}
	p.ln = ln
	p.fronts = []*front{newFront(ln)}
	if s.cfg.InsecurePort < 0 {
		return nil
	}
	iln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.InsecureBindAddress, strconv.Itoa(s.cfg.InsecurePort)))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("listen on the plain-text port: %w", err)
	}
	s.lg.Warn("serving the API in plain text on the loopback port too, for development", zap.Stringer("address", iln.Addr()))
	p.fronts = append(p.fronts, newFront(iln))
	s.mu.Lock()
	s.insecureAddr = iln.Addr()
	s.mu.Unlock()
	return nil
}

// newGRPC returns the gRPC server with the resource service, held to lim and the request timeout,
// health (NOT_SERVING until the server is ready) and reflection, every call audited by al when it
// is set, then authenticated and authorized by auth before it counts against lim.
func (s *Server) newGRPC(reg *registry.Registry, gm *grpcapi.Metrics, lim *limits.Limiter, auth filter.Config, al *audit.Logger) (*grpc.Server, *health.Server) {
	unary := []grpc.UnaryServerInterceptor{grpcapi.UnaryInterceptor(gm, s.lg), filter.Unary(auth), grpcapi.LimitUnary(lim, s.cfg.RequestTimeout)}
	stream := []grpc.StreamServerInterceptor{grpcapi.StreamInterceptor(gm, s.lg), filter.Stream(auth), grpcapi.LimitStream(lim)}
	if al != nil {
		// First, so a call refused by authentication, authorization or the limits is recorded too.
		unary = append([]grpc.UnaryServerInterceptor{al.Unary()}, unary...)
		stream = append([]grpc.StreamServerInterceptor{al.Stream()}, stream...)
	}
	gs := grpc.NewServer(
		// The listener terminates TLS; these hand its state to the calls.
		grpc.Creds(tlsserving.Credentials()),
		grpc.MaxRecvMsgSize(maxGRPCMessageBytes),
		grpc.ForceServerCodecV2(wire.Codec{}),
		// Clients ping every 10s to notice dead servers under idle watches.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
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
	h := rest.New(p.reg, s.lg, rest.Limits{
		Inflight:        lim,
		MaxBodyBytes:    int64(s.cfg.MaxRequestBodyBytes),
		BodyReadTimeout: s.cfg.RequestBodyReadTimeout,
		RequestTimeout:  s.cfg.RequestTimeout,
	})
	kubeletTLS, err := s.kubeletTLS()
	if err != nil {
		return err
	}
	if kubeletTLS != nil {
		h.WithKubeletTLS(kubeletTLS)
	}
	return h.Install(mux)
}
