package grpcapi

import (
	"context"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// resourceMethods is the prefix of the resource service's method names; health and reflection
// are not limited.
var resourceMethods = "/" + resourcev1.ResourceService_ServiceDesc.ServiceName + "/"

// LimitUnary holds the resource service's unary calls to l, as the REST edge holds its requests:
// Get and List take a read-only slot, every other call a mutating one, and a full bound fails
// with ResourceExhausted carrying a RetryInfo. An admitted call ends within requestTimeout, or
// sooner when its client set a closer deadline. Chain it inside UnaryInterceptor, which maps its
// errors.
func LimitUnary(l *limits.Limiter, requestTimeout time.Duration) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		method, ok := strings.CutPrefix(info.FullMethod, resourceMethods)
		if !ok {
			return handler(ctx, req)
		}
		class := limits.Mutating
		if method == "Get" || method == "List" {
			class = limits.ReadOnly
		}
		if err := l.Admit(ctx, class); err != nil {
			return nil, err
		}
		defer l.Done(class)
		if requestTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, requestTimeout)
			defer cancel()
		}
		return handler(ctx, req)
	}
}

// LimitStream counts the resource service's watches against their client's bound in l; a client
// over it gets ResourceExhausted carrying a RetryInfo. Watches take no slot in flight. Chain it
// inside StreamInterceptor, which maps its errors.
func LimitStream(l *limits.Limiter) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if info.FullMethod != resourceMethods+"Watch" {
			return handler(srv, ss)
		}
		client := peerHost(ss.Context())
		if err := l.AdmitWatch(client); err != nil {
			return err
		}
		defer l.WatchDone(client)
		return handler(srv, ss)
	}
}

// peerHost returns the IP address of the call's client, or its whole address when it has no port.
func peerHost(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return p.Addr.String()
	}
	return host
}
