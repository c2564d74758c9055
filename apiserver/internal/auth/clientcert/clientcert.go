// Package clientcert authenticates a request by its verified client certificate: the leaf of the
// first chain the TLS handshake verified against the client CA names the user in its common name
// and the groups in its organizations, as Kubernetes' x509 authenticator reads it.
package clientcert

import (
	"context"
	"errors"
	"slices"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// ErrNoCommonName refuses a verified certificate that names no user.
var ErrNoCommonName = errors.New("the client certificate has no common name to name its user")

// Authenticator is the x509 client certificate authenticator. Its zero value is ready to use.
type Authenticator struct{}

var _ authn.Authenticator = Authenticator{}

// Authenticate returns the user of the first verified chain's leaf; a request without a verified
// chain is not its kind. The chains were verified by the TLS handshake, so nothing here checks a
// signature or a validity period again.
func (Authenticator) Authenticate(_ context.Context, req *authn.Request) (*user.Info, bool, error) {
	if len(req.VerifiedChains) == 0 || len(req.VerifiedChains[0]) == 0 || req.VerifiedChains[0][0] == nil {
		return nil, false, nil
	}
	leaf := req.VerifiedChains[0][0]
	if leaf.Subject.CommonName == "" {
		return nil, false, ErrNoCommonName
	}
	return &user.Info{Name: leaf.Subject.CommonName, Groups: slices.Clone(leaf.Subject.Organization)}, true, nil
}
