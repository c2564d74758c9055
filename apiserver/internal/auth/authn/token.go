package authn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// ErrUnknownToken is the error of a bearer token that no token authenticator recognises.
var ErrUnknownToken = errors.New("invalid bearer token: the token is not known")

// ErrTokenExpired is wrapped by the error of a bearer token past its expiry (TokenExpired).
var ErrTokenExpired = errors.New("the bearer token has expired")

// TokenExpired returns the error of a bearer token that expired at exp: it says so, when, and
// what to do (renew, e.g. "request a new one"). It tells the client only what its token already
// says or what the client could learn by trying it after exp, so it is safe to send back in the
// 401; the apiserver logs it too.
func TokenExpired(exp time.Time, renew string) error {
	return fmt.Errorf("%w (exp %s); %s", ErrTokenExpired, exp.UTC().Format(time.RFC3339), renew)
}

// Token recognises one kind of bearer token. Its results mean what Authenticator's do.
type Token interface {
	AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error)
}

// TokenFunc adapts a function to Token.
type TokenFunc func(ctx context.Context, token string) (*user.Info, bool, error)

// AuthenticateToken calls f.
func (f TokenFunc) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	return f(ctx, token)
}

// BearerToken returns an authenticator of the "Authorization: Bearer <token>" credential that asks
// tokens in order; the first that recognises the token decides. A request without a bearer token
// is not its kind; a bearer token that none recognises fails with ErrUnknownToken, as Kubernetes
// refuses it rather than treating the request as anonymous.
func BearerToken(tokens ...Token) Authenticator {
	return Func(func(ctx context.Context, req *Request) (*user.Info, bool, error) {
		token, ok := ParseBearer(req.Authorization)
		if !ok {
			return nil, false, nil
		}
		for _, t := range tokens {
			u, ok, err := t.AuthenticateToken(ctx, token)
			if err != nil || ok {
				return u, ok, err
			}
		}
		return nil, false, ErrUnknownToken
	})
}

// ParseBearer returns the token of an Authorization value "Bearer <token>" (the scheme is
// case-insensitive, as RFC 7235 has it); ok is false for any other value or an empty token.
func ParseBearer(authorization string) (token string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(authorization), " ")
	if !found || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(rest)
	// A token never holds spaces; a value that does is not one bearer token.
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
