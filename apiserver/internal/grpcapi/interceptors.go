package grpcapi

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Metrics are the request metrics of the gRPC edge.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the gRPC request metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keelson_apiserver_grpc_requests_total",
			Help: "gRPC requests by method and status code.",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keelson_apiserver_grpc_request_duration_seconds",
			Help:    "gRPC unary request latency by method.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// UnaryInterceptor maps registry errors to gRPC statuses, turns a panic into an Internal error
// instead of a crash, and records metrics.
func UnaryInterceptor(m *Metrics, lg *zap.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				lg.Error("panic serving request", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				resp, err = nil, apierrors.NewInternal(fmt.Errorf("panic: %v", p))
			}
			err = apierrors.ToGRPC(err)
			m.requests.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
			m.latency.WithLabelValues(info.FullMethod).Observe(time.Since(start).Seconds())
		}()
		return handler(ctx, req)
	}
}

// StreamInterceptor does for streams what UnaryInterceptor does for unary calls.
func StreamInterceptor(m *Metrics, lg *zap.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if p := recover(); p != nil {
				lg.Error("panic serving stream", zap.String("method", info.FullMethod), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				err = apierrors.NewInternal(fmt.Errorf("panic: %v", p))
			}
			err = apierrors.ToGRPC(err)
			m.requests.WithLabelValues(info.FullMethod, status.Code(err).String()).Inc()
		}()
		return handler(srv, ss)
	}
}
