// Package clientcert authenticates a request by its verified client certificate: the leaf of the
// first chain the TLS handshake verified against the client CA names the user in its common name
// and the groups in its organizations, as Kubernetes' x509 authenticator reads it.
package clientcert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/clock"
)

// ErrNoCommonName refuses a verified certificate that names no user.
var ErrNoCommonName = errors.New("the client certificate has no common name to name its user")

// ErrExpired refuses a chain a certificate of which is not valid at the time of the request.
var ErrExpired = errors.New("x509: certificate has expired or is not yet valid")

// Authenticator is the x509 client certificate authenticator. Its zero value is ready to use.
type Authenticator struct {
	// Clock tells the time of a request (default the real clock).
	Clock clock.Clock
}

var _ authn.Authenticator = Authenticator{}

// Authenticate returns the user of the first verified chain's leaf; a request without a verified
// chain is not its kind. The TLS handshake verified the chains' signatures; their validity
// periods are checked again at each request, as Kubernetes' x509 authenticator does, so that a
// connection opened with a certificate stops authenticating once that certificate expires and a
// client has to reconnect with a renewed one.
func (a Authenticator) Authenticate(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
	if len(req.VerifiedChains) == 0 || len(req.VerifiedChains[0]) == 0 || req.VerifiedChains[0][0] == nil {
		return nil, false, nil
	}
	now := time.Now()
	if a.Clock != nil {
		now = a.Clock.Now()
	}
	for _, c := range req.VerifiedChains[0] {
		if c != nil && (now.Before(c.NotBefore) || now.After(c.NotAfter)) {
			return nil, false, fmt.Errorf("%w: current time %s is outside %q's validity, %s to %s", ErrExpired,
				now.UTC().Format(time.RFC3339), c.Subject.CommonName,
				c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	leaf := req.VerifiedChains[0][0]
	if leaf.Subject.CommonName == "" {
		return nil, false, ErrNoCommonName
	}
	return &user.Info{Name: leaf.Subject.CommonName, Groups: slices.Clone(leaf.Subject.Organization)}, true, nil
}
