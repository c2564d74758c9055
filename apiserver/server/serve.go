package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/soheilhy/cmux"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/keelson-dev/keelson/pkg/run"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// run is Run's serve step: one run.Group of the front (the listener's servers) and the back (watch
// caches, compactor, readiness). The back runs on a context of its own that ends only once the
// front has shut down, because in-flight requests still use the caches; the front shuts down when
// ctx ends or when any part fails.
func (p *parts) run(ctx context.Context) error {
	back, stopBack := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBack()
	// The audit log is back too: it writes the events of the last requests before it closes.
	runAudit := func(c context.Context) error {
		if p.audit == nil {
			return nil
		}
		return p.audit.Run(c)
	}
	return run.Group(back,
		runAudit,
		func(gctx context.Context) error {
			front, stopFront := context.WithCancel(gctx)
			defer stopFront()
			defer context.AfterFunc(ctx, stopFront)()
			err := p.serve(front)
			stopBack()
			return err
		},
		p.reg.Run,
		func(c context.Context) error {
			return p.store.RunCompactor(c, p.srv.cfg.Clock, p.srv.cfg.CompactionInterval, p.srv.lg)
		},
		p.becomeReady,
		func(c context.Context) error { return p.runAllocation(c, ctx) },
		p.authz.run,
		p.runNodeFeed,
	)
}

// serve serves gRPC and HTTP on the listener until ctx ends or one of them stops, then shuts them
// down and returns once all have returned.
func (p *parts) serve(ctx context.Context) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	// A server that stops by itself takes the others down with it.
	until := func(serve func() error) func(context.Context) error {
		return func(context.Context) error {
			defer stop()
			return ignoreClosed(serve())
		}
	}
	fns := []func(context.Context) error{
		func(ctx context.Context) error {
			<-ctx.Done()
			p.shutdown()
			return nil
		},
	}
	for _, f := range p.fronts {
		fns = append(fns,
			until(func() error { return p.grpc.Serve(f.grpcL) }),
			until(func() error { return p.http.Serve(f.httpL) }),
			until(f.mux.Serve),
		)
	}
	return run.Group(ctx, fns...)
}

// shutdown is Run's last step for the front, in the documented order: health NOT_SERVING, the
// registry's drain, the listener, then in-flight requests within ShutdownTimeout.
func (p *parts) shutdown() {
	p.health.Shutdown()
	p.reg.Drain()
	for _, f := range p.fronts {
		_ = f.ln.Close()
	}
	grpcDone := make(chan struct{})
	go func() { p.grpc.GracefulStop(); close(grpcDone) }()
	sctx, cancel := context.WithTimeout(context.Background(), p.srv.cfg.ShutdownTimeout)
	defer cancel()
	_ = p.http.Shutdown(sctx)
	select {
	case <-grpcDone:
	case <-sctx.Done():
		p.grpc.Stop()
		<-grpcDone
	}
	for _, f := range p.fronts {
		f.mux.Close()
	}
}

// becomeReady waits for the watch caches and the Node authorizer's graph, creates the system
// namespaces, reconciles the RBAC bootstrap policy (with RBAC on) and waits for the authorizer to
// load it, then turns gRPC health
// SERVING and closes Ready. It returns nil when ctx ends first.
func (p *parts) becomeReady(ctx context.Context) error {
	if err := p.reg.WaitReady(ctx); err != nil {
		return nil
	}
	select {
	case <-p.nodeFeed.Synced():
	case <-ctx.Done():
		return nil
	}
	if err := p.reg.EnsureSystemNamespaces(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("create system namespaces: %w", err)
	}
	if err := p.authz.reconcile(ctx, p.reg); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := p.alloc.start(ctx, p.srv, p.reg, p.ln.Addr()); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	p.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	p.health.SetServingStatus(resourcev1.ResourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	p.srv.markReady()
	p.srv.lg.Info("apiserver ready", zap.Stringer("address", p.ln.Addr()))
	return nil
}

func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) ||
		errors.Is(err, cmux.ErrListenerClosed) || errors.Is(err, cmux.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}
