package filter

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Config is what the filters check requests with.
type Config struct {
	// Authenticator names the user of a request (authn.Chain of the configured authenticators).
	Authenticator authn.Authenticator
	// Authorizer judges what the user asks (authz.Union of --authorization-mode's authorizers).
	Authorizer authz.Authorizer
	Logger     *zap.Logger
}

// authenticate returns the user req's credential proves, or the 401 error: "Unauthorized" for a
// request without a credential an authenticator accepts, followed by what was wrong with an
// invalid one.
func (c Config) authenticate(ctx context.Context, req *authn.Request) (*user.Info, error) {
	u, ok, err := c.Authenticator.Authenticate(ctx, req)
	if err != nil {
		c.Logger.Info("refused a request's credential", zap.String("path", req.Path), zap.Error(err))
		return nil, apierrors.NewUnauthorized(err.Error())
	}
	if !ok || u == nil {
		return nil, apierrors.NewUnauthorized("")
	}
	return u, nil
}

// authorize returns nil when the authorizer allows a; Kubernetes' 403 when it denies or has no
// opinion; an internal error when it failed to decide.
func (c Config) authorize(ctx context.Context, a authz.Attributes) error {
	d, reason, err := c.Authorizer.Authorize(ctx, a)
	switch {
	case d == authz.Allow:
		return nil
	case err != nil:
		return apierrors.NewInternal(fmt.Errorf("authorize %s: %w", a.Verb, err))
	default:
		return authz.Forbidden(a, reason)
	}
}
