package serviceaccount

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
)

// ErrExpired is wrapped by the Verify error of a token past its expiry.
var ErrExpired = errors.New("service account token has expired")

// ExpiredError is the VerifyBound error of a token past its expiry: errors.Is finds both
// ErrInvalidToken and ErrExpired in it, errors.As gives the expiry the token claims.
type ExpiredError struct {
	// Expiry is the token's exp claim.
	Expiry time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("%v: %v (exp %s)", ErrInvalidToken, ErrExpired, e.Expiry.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrInvalidToken and ErrExpired.
func (e *ExpiredError) Unwrap() []error { return []error{ErrInvalidToken, ErrExpired} }

// ObjectRef names an object a bound token is bound to, with its uid: the token stops working once
// no object of that name and uid exists.
type ObjectRef struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// KubernetesClaims is the private "kubernetes.io" claim of a bound token, as Kubernetes writes it.
type KubernetesClaims struct {
	Namespace      string     `json:"namespace"`
	ServiceAccount ObjectRef  `json:"serviceaccount"`
	Pod            *ObjectRef `json:"pod,omitempty"`
	Secret         *ObjectRef `json:"secret,omitempty"`
	Node           *ObjectRef `json:"node,omitempty"`
	// WarnAfter, when set, is when a client should be told to refresh the token.
	WarnAfter *jwt.NumericDate `json:"warnafter,omitempty"`
}

// BoundClaims are the claims of a bound service account token (TokenRequest): the registered
// claims plus the kubernetes.io claim.
type BoundClaims struct {
	jwt.Claims
	Kubernetes KubernetesClaims `json:"kubernetes.io"`
}

// BoundToken describes a bound token to issue.
type BoundToken struct {
	// Issuer is the apiserver's --service-account-issuer.
	Issuer string
	// Audiences are who the token is for; empty is the apiserver's --api-audiences.
	Audiences []string
	Namespace string
	// ServiceAccount is the account the token authenticates as.
	ServiceAccount ObjectRef
	// Pod and Secret, when set, bind the token to that object too.
	Pod    *ObjectRef
	Secret *ObjectRef
	Node   *ObjectRef
	// IssuedAt is now; the token is valid from then for Expiration.
	IssuedAt   time.Time
	Expiration time.Duration
}

// NewBoundClaims returns the claims of t, with a fresh random token id.
func NewBoundClaims(t BoundToken) BoundClaims {
	return BoundClaims{
		Claims: jwt.Claims{
			Issuer:    t.Issuer,
			Subject:   Username(t.Namespace, t.ServiceAccount.Name),
			Audience:  jwt.Audience(slices.Clone(t.Audiences)),
			IssuedAt:  jwt.NewNumericDate(t.IssuedAt),
			NotBefore: jwt.NewNumericDate(t.IssuedAt),
			Expiry:    jwt.NewNumericDate(t.IssuedAt.Add(t.Expiration)),
			ID:        uuid.NewString(),
		},
		Kubernetes: KubernetesClaims{
			Namespace: t.Namespace, ServiceAccount: t.ServiceAccount, Pod: t.Pod, Secret: t.Secret, Node: t.Node,
		},
	}
}

// SignBound returns the compact JWT of bound claims.
func (s *Signer) SignBound(claims BoundClaims) (string, error) {
	tok, err := jwt.Signed(s.signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign bound service account token: %w", err)
	}
	return tok, nil
}

// Expected is what VerifyBound holds a bound token to.
type Expected struct {
	// Issuers are the issuers accepted (the first signs, all are accepted, as Kubernetes does
	// with several --service-account-issuer).
	Issuers []string
	// Audiences: the token must name at least one of them.
	Audiences []string
	// Now is the time exp and nbf are checked against.
	Now time.Time
}

// VerifyBound checks that token is a bound service account token signed by one of keys, from one
// of the expected issuers, for one of the expected audiences, valid at want.Now, and that its
// kubernetes.io claim names a namespace and a service account; it returns its claims. Whether the
// bound objects still exist is the caller's to check. A token past its expiry fails with an
// *ExpiredError, which wraps both ErrInvalidToken and ErrExpired.
func VerifyBound(token string, want Expected, keys ...crypto.PublicKey) (*BoundClaims, error) {
	var claims BoundClaims
	if err := verifySignature(token, &claims, keys); err != nil {
		return nil, err
	}
	k := claims.Kubernetes
	switch {
	case !slices.Contains(want.Issuers, claims.Issuer):
		return nil, fmt.Errorf("%w: issuer %q is not accepted", ErrInvalidToken, claims.Issuer)
	case claims.Expiry == nil:
		return nil, fmt.Errorf("%w: a bound token must expire", ErrInvalidToken)
	case k.Namespace == "" || k.ServiceAccount.Name == "" || k.ServiceAccount.UID == "":
		return nil, fmt.Errorf("%w: the kubernetes.io claim must name the namespace and service account", ErrInvalidToken)
	case claims.Subject != Username(k.Namespace, k.ServiceAccount.Name):
		return nil, fmt.Errorf("%w: subject %q does not name the service account", ErrInvalidToken, claims.Subject)
	}
	err := claims.ValidateWithLeeway(jwt.Expected{AnyAudience: want.Audiences, Time: want.Now}, 0)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return nil, &ExpiredError{Expiry: claims.Expiry.Time()}
	case errors.Is(err, jwt.ErrInvalidAudience):
		return nil, fmt.Errorf("%w: the token's audiences %q include none of %q", ErrInvalidToken, []string(claims.Audience), want.Audiences)
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, fmt.Errorf("%w: the token is not valid yet", ErrInvalidToken)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return &claims, nil
}

// PeekIssuer returns the issuer a JWT claims, without checking its signature: it tells which
// verifier a token is for. ok is false when token is not a JWT.
func PeekIssuer(token string) (issuer string, ok bool) {
	parsed, err := jwt.ParseSigned(token, signatureAlgorithms)
	if err != nil {
		return "", false
	}
	var c jwt.Claims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		return "", false
	}
	return c.Issuer, true
}

// signatureAlgorithms are the algorithms NewSigner signs with; no other is accepted.
var signatureAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384, jose.ES512}

// verifySignature decodes token's claims into claims when one of keys verifies its signature.
func verifySignature(token string, claims any, keys []crypto.PublicKey) error {
	parsed, err := jwt.ParseSigned(token, signatureAlgorithms)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	for _, k := range keys {
		if err := parsed.Claims(k, claims); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: no key verifies its signature", ErrInvalidToken)
}
