package filter

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Unary returns the interceptor that authenticates and authorizes every unary call as HTTP does
// a request: the handler runs only with the user in its context and once the authorizer allowed
// GRPCAttributes of the call; otherwise the call fails with Unauthenticated or PermissionDenied and
// Kubernetes' message.
func Unary(c Config) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		u, err := c.authenticate(ctx, grpcRequest(ctx, info.FullMethod))
		if err != nil && strings.HasPrefix(info.FullMethod, healthService) {
			u, err = anonymousHealthCheck(), nil
		}
		if err != nil {
			return nil, apierrors.ToGRPC(err)
		}
		user.RecordAuthenticated(ctx, u)
		a := GRPCAttributes(info.FullMethod, req)
		a.User = u
		if err := c.authorize(ctx, a); err != nil {
			return nil, apierrors.ToGRPC(err)
		}
		return handler(user.NewContext(ctx, u), req)
	}
}

// Stream returns the interceptor that does for streams what Unary does for unary calls. A stream
// is authenticated when it opens. A ResourceService stream (Watch) is authorized on each request
// message it receives, since what it asks is in the message; any other stream (reflection,
// health) is authorized when it opens.
func Stream(c Config) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		u, err := c.authenticate(ctx, grpcRequest(ctx, info.FullMethod))
		if err != nil && strings.HasPrefix(info.FullMethod, healthService) {
			u, err = anonymousHealthCheck(), nil
		}
		if err != nil {
			return apierrors.ToGRPC(err)
		}
		user.RecordAuthenticated(ctx, u)
		ws := &authorizedStream{ServerStream: ss, ctx: user.NewContext(ctx, u), cfg: c, user: u, method: info.FullMethod,
			perMessage: isResourceMethod(info.FullMethod)}
		if !ws.perMessage {
			a := GRPCAttributes(info.FullMethod, nil)
			a.User = u
			if err := c.authorize(ctx, a); err != nil {
				return apierrors.ToGRPC(err)
			}
		}
		return handler(srv, ws)
	}
}

// authorizedStream carries the user in its context and, for a resource stream, authorizes each
// message it receives before the handler sees it.
type authorizedStream struct {
	grpc.ServerStream
	ctx    context.Context
	cfg    Config
	user   *user.Info
	method string
	// perMessage: each received message is authorized (a resource stream); otherwise the stream
	// was authorized as a whole when it opened.
	perMessage bool
}

func (s *authorizedStream) Context() context.Context { return s.ctx }

func (s *authorizedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if !s.perMessage {
		return nil
	}
	a := GRPCAttributes(s.method, m)
	a.User = s.user
	if err := s.cfg.authorize(s.ctx, a); err != nil {
		return apierrors.ToGRPC(err)
	}
	return nil
}

// healthService prefixes the gRPC health service's methods.
const healthService = "/grpc.health.v1.Health/"

// anonymousHealthCheck is the user a health check with a refused credential is served as. A
// client's balancer checks health on each connection with the client's credentials; a refused
// credential must not make the connection look unhealthy, or the client's calls would wait for a
// healthy one until their deadline instead of getting the 401 that says what is wrong. Health
// tells nothing but whether the server serves, which anyone may ask (anonymous.Paths), so the
// check is answered, as to an anonymous client; the credential was logged as refused.
func anonymousHealthCheck() *user.Info {
	return &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
}

// grpcRequest returns what authenticators look at in a call: the client certificates of its TLS
// connection, its "authorization" metadata and its full method.
func grpcRequest(ctx context.Context, fullMethod string) *authn.Request {
	req := &authn.Request{Path: fullMethod}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			req.Authorization = v[0]
		}
	}
	if p, ok := peer.FromContext(ctx); ok {
		req.LocalAddr = p.LocalAddr
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			req.VerifiedChains, req.PeerCertificates = ti.State.VerifiedChains, ti.State.PeerCertificates
		}
	}
	return req
}
