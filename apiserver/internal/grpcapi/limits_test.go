package grpcapi

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"

	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

func TestLimitUnary(t *testing.T) {
	l := limits.New(limits.Config{MaxRequestsInflight: 1, MaxMutatingRequestsInflight: 1})
	limit := LimitUnary(l, time.Minute)
	call := func(method string, handler grpc.UnaryHandler) error {
		_, err := limit(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: method}, handler)
		return err
	}
	var deadline bool
	ok := func(ctx context.Context, _ any) (any, error) {
		_, deadline = ctx.Deadline()
		return nil, nil
	}
	// Holding a slot of a class: a call of that class made while another one is served.
	within := func(outer, inner string, want func(error) bool) {
		t.Helper()
		require.NoError(t, call(resourceMethods+outer, func(context.Context, any) (any, error) {
			err := call(resourceMethods+inner, ok)
			require.True(t, want(err), "%s during %s: %v", inner, outer, err)
			return nil, nil
		}))
	}
	tooMany := func(err error) bool { return apierrors.ReasonFor(err) == apierrors.ReasonTooManyRequests }
	admitted := func(err error) bool { return err == nil }

	within("Get", "List", tooMany)
	within("Get", "Create", admitted)
	for _, m := range []string{"Create", "Update", "UpdateStatus", "Delete", "Patch"} {
		within("Patch", m, tooMany)
		within(m, "Get", admitted)
	}
	within("Get", "/grpc.health.v1.Health/Check", admitted)

	require.NoError(t, call(resourceMethods+"Get", ok))
	require.True(t, deadline, "an admitted call gets the request timeout")
	require.NoError(t, call("/grpc.health.v1.Health/Check", ok))
	require.False(t, deadline, "other services are not limited")
}

// fakeStream is a server stream with a context and nothing else.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s fakeStream) Context() context.Context { return s.ctx }

func TestLimitStream(t *testing.T) {
	l := limits.New(limits.Config{MaxWatchesPerClient: 1})
	limit := LimitStream(l)
	from := func(ip string) grpc.ServerStream {
		return fakeStream{ctx: peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 5000}})}
	}
	watch := &grpc.StreamServerInfo{FullMethod: resourceMethods + "Watch", IsServerStream: true}
	err := limit(nil, from("127.0.0.1"), watch, func(any, grpc.ServerStream) error {
		// The same client from another port is the same client.
		err := limit(nil, from("127.0.0.1"), watch, func(any, grpc.ServerStream) error { return nil })
		require.Equal(t, apierrors.ReasonTooManyRequests, apierrors.ReasonFor(err), "got %v", err)
		require.Contains(t, err.Error(), "client 127.0.0.1 holds 1")
		return limit(nil, from("127.0.0.2"), watch, func(any, grpc.ServerStream) error { return nil })
	})
	require.NoError(t, err, "another client has a bound of its own")
	require.NoError(t, limit(nil, from("127.0.0.1"), watch, func(any, grpc.ServerStream) error { return nil }),
		"a watch that ended frees its place")
}
