package anonymous_test

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/anonymous"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

func TestAuthenticate(t *testing.T) {
	tests := []struct {
		path     string
		allPaths bool
		ok       bool
	}{
		{"/healthz", false, true},
		{"/healthz/etcd", false, true},
		{"/livez", false, true},
		{"/readyz/ping", false, true},
		{"/version", false, true},
		{"/version/", false, true},
		{"/healthzz", false, false},
		{"/versions", false, false},
		{"/api/v1/pods", false, false},
		{"/", false, false},
		{"", false, false},
		{"/keelson.resource.v1.ResourceService/List", false, false},
		{"/grpc.health.v1.Health/Check", false, true},
		{"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", false, false},
		{"/api/v1/pods", true, true},
		{"/healthz", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			u, ok, err := anonymous.Authenticator{AllPaths: tt.allPaths}.Authenticate(context.Background(), &authn.Request{Path: tt.path})
			require.NoError(t, err)
			require.Equal(t, tt.ok, ok)
			switch {
			case ok && anonymous.Allowed(tt.path):
				require.Equal(t, &user.Info{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}, u)
			case ok:
				require.Equal(t, &user.Info{Name: "system:unsecured", Groups: []string{"system:masters", "system:authenticated"}}, u,
					"a server without credential sources trusts whoever reaches it, and says so")
			}
		})
	}
}

func TestPlainPort(t *testing.T) {
	plain := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	secure := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6443}
	p := anonymous.PlainPort{Addr: func() net.Addr { return plain }}
	u, ok, err := p.Authenticate(context.Background(), &authn.Request{Path: "/api/v1/pods", LocalAddr: plain})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "system:unsecured", u.Name)
	require.True(t, u.InGroup("system:masters"))
	_, ok, err = p.Authenticate(context.Background(), &authn.Request{Path: "/api/v1/pods", LocalAddr: secure})
	require.NoError(t, err)
	require.False(t, ok, "the secure port's requests are not the plain port's to judge")
	_, ok, _ = anonymous.PlainPort{Addr: func() net.Addr { return nil }}.Authenticate(context.Background(), &authn.Request{LocalAddr: plain})
	require.False(t, ok, "no plain-text port, no unsecured user")
}
