package registry

import (
	"context"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
)

// TokenIssuer issues service account tokens: it serves the serviceaccounts/token subresource.
type TokenIssuer interface {
	// IssueToken answers tr for the service account namespace/name with a signed token (none in a
	// dry run), or fails with an API error.
	IssueToken(ctx context.Context, namespace, name string, tr *authenticationv1.TokenRequest, dryRun bool) (*authenticationv1.TokenRequest, error)
}

// SetTokenIssuer makes t serve serviceaccounts/token. Call it before the registry serves requests;
// without one the subresource is not served.
func (r *Registry) SetTokenIssuer(t TokenIssuer) { r.tokens = t }

// CreateToken serves a create of the serviceaccounts/token subresource (TokenRequest).
func (s *Store) CreateToken(ctx context.Context, namespace, name string, tr *authenticationv1.TokenRequest, dryRun bool) (*authenticationv1.TokenRequest, error) {
	if s.kind.Kind != "ServiceAccount" || s.registry.tokens == nil {
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/token", "create")
	}
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	return s.registry.tokens.IssueToken(ctx, namespace, name, tr, dryRun)
}
