// Package bootstrap authenticates bootstrap tokens ("<id>.<secret>", id [a-z0-9]{6}, secret
// [a-z0-9]{16}) against the Secret bootstrap-token-<id> in kube-system, as Kubernetes does: the
// Secret must be of type bootstrap.kubernetes.io/token, allow authentication
// (usage-bootstrap-authentication "true"), not be expired and hold the same secret. A token
// authenticates as system:bootstrap:<id> in system:bootstrappers and the Secret's
// auth-extra-groups.
package bootstrap

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The names Kubernetes gives bootstrap token Secrets and their keys.
const (
	Namespace          = "kube-system"
	SecretPrefix       = "bootstrap-token-"
	SecretType         = "bootstrap.kubernetes.io/token"
	KeyTokenID         = "token-id"
	KeyTokenSecret     = "token-secret"
	KeyExpiration      = "expiration"
	KeyUsageAuth       = "usage-bootstrap-authentication"
	KeyExtraGroups     = "auth-extra-groups"
	UserPrefix         = "system:bootstrap:"
	extraGroupsPattern = `^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`
)

var (
	tokenPattern = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)
	extraGroupRE = regexp.MustCompile(extraGroupsPattern)
	secrets      = scheme.GroupVersionResource{Version: "v1", Resource: "secrets"}
)

// ErrInvalid is wrapped by every refusal of a token in the bootstrap format.
var ErrInvalid = errors.New("invalid bootstrap token")

// Authenticator checks bootstrap tokens against their Secrets. It is safe for concurrent use.
type Authenticator struct {
	getter authn.Getter
	clock  clock.Clock
}

var _ authn.Token = (*Authenticator)(nil)

// New returns an authenticator reading Secrets through getter; clk times expirations.
func New(getter authn.Getter, clk clock.Clock) *Authenticator {
	return &Authenticator{getter: getter, clock: clk}
}

// AuthenticateToken authenticates a token in the bootstrap format; any other token is not its
// kind.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	m := tokenPattern.FindStringSubmatch(token)
	if m == nil {
		return nil, false, nil
	}
	id, secret := m[1], m[2]
	name := SecretPrefix + id
	obj, err := a.getter.Get(ctx, secrets, Namespace, name)
	if apierrors.IsNotFound(err) {
		return nil, false, fmt.Errorf("%w: no secret %s/%s holds token %s", ErrInvalid, Namespace, name, id)
	}
	if err != nil {
		return nil, false, fmt.Errorf("read bootstrap token secret %s/%s: %w", Namespace, name, err)
	}
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return nil, false, fmt.Errorf("read bootstrap token secret %s/%s: got a %T", Namespace, name, obj)
	}
	if err := a.check(s, id, secret); err != nil {
		return nil, false, fmt.Errorf("%w %s: %w", ErrInvalid, id, err)
	}
	groups := []string{user.BootstrappersGroup}
	for g := range strings.SplitSeq(string(s.GetData()[KeyExtraGroups]), ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return &user.Info{Name: UserPrefix + id, Groups: groups}, true, nil
}

// check returns why Secret s does not let token id.secret authenticate, or nil.
func (a *Authenticator) check(s *corev1.Secret, id, secret string) error {
	data := s.GetData()
	switch {
	case s.GetType() != SecretType:
		return fmt.Errorf("its secret has type %q, want %q", s.GetType(), SecretType)
	case s.GetMetadata().GetDeletionTimestamp() != nil:
		return errors.New("its secret is being deleted")
	case string(data[KeyTokenID]) != id:
		return fmt.Errorf("its secret's %s does not match", KeyTokenID)
	case subtle.ConstantTimeCompare(data[KeyTokenSecret], []byte(secret)) != 1:
		return errors.New("the token's secret does not match")
	case string(data[KeyUsageAuth]) != "true":
		return fmt.Errorf("its secret does not allow authentication (%s is not \"true\")", KeyUsageAuth)
	}
	if exp, ok := data[KeyExpiration]; ok {
		t, err := time.Parse(time.RFC3339, string(exp))
		if err != nil {
			return fmt.Errorf("its secret's %s %q is not an RFC 3339 time", KeyExpiration, exp)
		}
		if !a.clock.Now().Before(t) {
			// Checked after the token's secret matched: only its holder learns the expiry.
			return authn.TokenExpired(t, "create a new bootstrap token (a bootstrap-token-<id> Secret in kube-system)")
		}
	}
	for g := range strings.SplitSeq(string(data[KeyExtraGroups]), ",") {
		if g = strings.TrimSpace(g); g != "" && !extraGroupRE.MatchString(g) {
			return fmt.Errorf("its secret's %s holds %q, which does not match %s", KeyExtraGroups, g, extraGroupsPattern)
		}
	}
	return nil
}
