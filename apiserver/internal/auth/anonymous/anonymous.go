// Package anonymous authenticates a request that carries no credential as system:anonymous in
// system:unauthenticated, either only on the health and version paths (and gRPC health) (the secure default, as
// Kubernetes' default policy lets anonymous users see just those) or on every path (an embedded
// apiserver serving plain text without any client CA or token source, for tests).
package anonymous

import (
	"context"
	"net"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// Paths are the paths, with their subpaths, anonymous requests may reach by default: the REST
// health and version paths, and gRPC health, their counterpart for gRPC clients and load
// balancers.
var Paths = []string{"/healthz", "/livez", "/readyz", "/version", "/grpc.health.v1.Health"}

// Unsecured is the user of a request without a credential to a path beyond Paths on an embedded
// apiserver that serves plain text and has no credential source at all (AllPaths). Such a server trusts whoever reaches
// it, as Kubernetes' old insecure port did, so the user is in system:masters and is named for
// what it is; NodeRestriction and the escalation checks let it through.
const Unsecured = "system:unsecured"

// Authenticator is the anonymous authenticator; the last of the chain.
type Authenticator struct {
	// AllPaths lets requests without a credential reach every path and gRPC method, not only
	// Paths: beyond Paths they are Unsecured's.
	AllPaths bool
}

var _ authn.Authenticator = Authenticator{}

// Authenticate returns the anonymous user when the request's path is one anonymous requests may
// reach; Unsecured on any other path with AllPaths; and is not its kind otherwise (so the request
// is refused with 401).
func (a Authenticator) Authenticate(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
	switch {
	case Allowed(req.Path):
		return &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}, true, nil
	case a.AllPaths:
		return &user.Info{Name: Unsecured, Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}, true, nil
	default:
		return nil, false, nil
	}
}

// Allowed reports whether path is one of Paths or below one.
func Allowed(path string) bool {
	for _, p := range Paths {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// PlainPort authenticates every request that came in on the loopback plain-text port
// (--insecure-port) as Unsecured in system:masters: that port is for development and trusts
// whoever reaches it, as Kubernetes' insecure port did. It is the first of the chain.
type PlainPort struct {
	// Addr returns the plain-text port's address, nil while there is none.
	Addr func() net.Addr
}

var _ authn.Authenticator = PlainPort{}

// Authenticate returns Unsecured for a request to the plain-text port, and is not its kind for
// any other.
func (p PlainPort) Authenticate(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
	a := p.Addr()
	if a == nil || req.LocalAddr == nil || req.LocalAddr.String() != a.String() {
		return nil, false, nil
	}
	return &user.Info{Name: Unsecured, Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}, true, nil
}
