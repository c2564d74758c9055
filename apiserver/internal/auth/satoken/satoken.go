// Package satoken authenticates service account tokens: JWTs signed with the service account key
// (--service-account-key-file), either legacy tokens held in a Secret (issuer
// "kubernetes/serviceaccount") or bound tokens (issuer --service-account-issuer, audiences
// --api-audiences). Beyond the signature and claims that pkg/serviceaccount checks, every object a
// token names must still exist with the uid it names: deleting the service account, the token's
// Secret or the pod a token is bound to invalidates the token.
package satoken

import (
	"context"
	"crypto"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	sa "github.com/keelson-dev/keelson/pkg/serviceaccount"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The extra attributes of a bound token's user, as Kubernetes names them.
const (
	ExtraPodName  = "authentication.kubernetes.io/pod-name"
	ExtraPodUID   = "authentication.kubernetes.io/pod-uid"
	ExtraNodeName = "authentication.kubernetes.io/node-name"
	ExtraNodeUID  = "authentication.kubernetes.io/node-uid"
	// ExtraCredentialID identifies the token (its jti) in audit records.
	ExtraCredentialID = "authentication.kubernetes.io/credential-id"
)

// deletionGrace is how long a bound token outlives the deletion timestamp of an object it is
// bound to, as in Kubernetes: a pod still runs for its grace period after deletion starts.
const deletionGrace = 60 * time.Second

var (
	serviceAccounts = scheme.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	secrets         = scheme.GroupVersionResource{Version: "v1", Resource: "secrets"}
	pods            = scheme.GroupVersionResource{Version: "v1", Resource: "pods"}
	nodes           = scheme.GroupVersionResource{Version: "v1", Resource: "nodes"}
)

// Config configures the authenticator.
type Config struct {
	// Keys are the public keys tokens may be signed with.
	Keys []crypto.PublicKey
	// Issuers are the accepted issuers of bound tokens; empty accepts legacy tokens only.
	Issuers []string
	// Audiences are the accepted audiences of bound tokens (--api-audiences); empty is Issuers[0].
	Audiences []string
	// Getter reads service accounts, secrets, pods and nodes.
	Getter authn.Getter
	Clock  clock.Clock
}

// Authenticator verifies service account tokens. It is safe for concurrent use.
type Authenticator struct {
	cfg Config
}

var _ authn.Token = (*Authenticator)(nil)

// New returns the authenticator of cfg.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("service account tokens: no public key to verify them with")
	}
	if len(cfg.Audiences) == 0 && len(cfg.Issuers) > 0 {
		cfg.Audiences = cfg.Issuers[:1]
	}
	return &Authenticator{cfg: cfg}, nil
}

// AuthenticateToken authenticates a JWT from the legacy issuer or one of the bound issuers; any
// other token is not its kind.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*user.Info, bool, error) {
	iss, ok := sa.PeekIssuer(token)
	switch {
	case !ok:
		return nil, false, nil
	case iss == sa.LegacyIssuer:
		u, err := a.legacy(ctx, token)
		return u, err == nil, err
	case slices.Contains(a.cfg.Issuers, iss):
		u, err := a.bound(ctx, token)
		return u, err == nil, err
	default:
		return nil, false, nil
	}
}

func (a *Authenticator) legacy(ctx context.Context, token string) (*user.Info, error) {
	c, err := sa.Verify(token, a.cfg.Keys...)
	if err != nil {
		return nil, err
	}
	acct, err := a.serviceAccount(ctx, c.Namespace, sa.ObjectRef{Name: c.ServiceAccountName, UID: c.ServiceAccountUID})
	if err != nil {
		return nil, err
	}
	obj, err := a.get(ctx, secrets, c.Namespace, c.SecretName, "the token's secret")
	if err != nil {
		return nil, err
	}
	s, ok := obj.(*corev1.Secret)
	if !ok || s.GetMetadata().GetDeletionTimestamp() != nil {
		return nil, fmt.Errorf("%w: the token's secret %s/%s is being deleted", sa.ErrInvalidToken, c.Namespace, c.SecretName)
	}
	if subtle.ConstantTimeCompare(s.GetData()["token"], []byte(token)) != 1 {
		return nil, fmt.Errorf("%w: the secret %s/%s no longer holds this token", sa.ErrInvalidToken, c.Namespace, c.SecretName)
	}
	return accountUser(c.Namespace, c.ServiceAccountName, acct.GetMetadata().GetUid()), nil
}

func (a *Authenticator) bound(ctx context.Context, token string) (*user.Info, error) {
	now := a.cfg.Clock.Now()
	c, err := sa.VerifyBound(token, sa.Expected{Issuers: a.cfg.Issuers, Audiences: a.cfg.Audiences, Now: now}, a.cfg.Keys...)
	if exp := (*sa.ExpiredError)(nil); errors.As(err, &exp) {
		// The client learns only the expiry its own token states.
		return nil, fmt.Errorf("%w: %w", sa.ErrInvalidToken,
			authn.TokenExpired(exp.Expiry, "request a new one (TokenRequest: kubectl create token <service account>)"))
	}
	if err != nil {
		return nil, err
	}
	k := c.Kubernetes
	if _, err := a.serviceAccount(ctx, k.Namespace, k.ServiceAccount); err != nil {
		return nil, err
	}
	u := accountUser(k.Namespace, k.ServiceAccount.Name, k.ServiceAccount.UID)
	if k.Secret != nil {
		if _, err := a.boundObject(ctx, secrets, k.Namespace, *k.Secret, "secret", now); err != nil {
			return nil, err
		}
	}
	if k.Pod != nil {
		if _, err := a.boundObject(ctx, pods, k.Namespace, *k.Pod, "pod", now); err != nil {
			return nil, err
		}
		u.Extra = map[string][]string{ExtraPodName: {k.Pod.Name}, ExtraPodUID: {k.Pod.UID}}
	}
	if k.Node != nil {
		if _, err := a.boundObject(ctx, nodes, "", *k.Node, "node", now); err != nil {
			return nil, err
		}
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[ExtraNodeName], u.Extra[ExtraNodeUID] = []string{k.Node.Name}, []string{k.Node.UID}
	}
	if c.ID != "" {
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[ExtraCredentialID] = []string{"JTI=" + c.ID}
	}
	return u, nil
}

// serviceAccount returns the service account ref names, which must exist with ref's uid and not be
// being deleted.
func (a *Authenticator) serviceAccount(ctx context.Context, namespace string, ref sa.ObjectRef) (scheme.Object, error) {
	obj, err := a.get(ctx, serviceAccounts, namespace, ref.Name, "its service account")
	if err != nil {
		return nil, err
	}
	m := obj.GetMetadata()
	switch {
	case m.GetUid() != ref.UID:
		return nil, fmt.Errorf("%w: the service account %s/%s has been deleted and created anew (uid %s, the token names %s)",
			sa.ErrInvalidToken, namespace, ref.Name, m.GetUid(), ref.UID)
	case m.GetDeletionTimestamp() != nil:
		return nil, fmt.Errorf("%w: the service account %s/%s is being deleted", sa.ErrInvalidToken, namespace, ref.Name)
	}
	return obj, nil
}

// boundObject returns the object a bound token is bound to, which must exist with ref's uid and
// not have been deleted more than deletionGrace before now.
func (a *Authenticator) boundObject(ctx context.Context, gvr scheme.GroupVersionResource, namespace string, ref sa.ObjectRef, what string, now time.Time) (scheme.Object, error) {
	obj, err := a.get(ctx, gvr, namespace, ref.Name, "the "+what+" the token is bound to")
	if err != nil {
		return nil, err
	}
	m := obj.GetMetadata()
	if m.GetUid() != ref.UID {
		return nil, fmt.Errorf("%w: the %s %s the token is bound to has been deleted (a %s of that name now has uid %s)",
			sa.ErrInvalidToken, what, ref.Name, what, m.GetUid())
	}
	if dt := m.GetDeletionTimestamp(); dt != nil && dt.AsTime().Add(deletionGrace).Before(now) {
		return nil, fmt.Errorf("%w: the %s %s the token is bound to has been deleted", sa.ErrInvalidToken, what, ref.Name)
	}
	return obj, nil
}

// get reads an object; a missing one is an invalid-token error that says what is gone.
func (a *Authenticator) get(ctx context.Context, gvr scheme.GroupVersionResource, namespace, name, what string) (scheme.Object, error) {
	obj, err := a.cfg.Getter.Get(ctx, gvr, namespace, name)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s (%s) has been deleted", sa.ErrInvalidToken, what, qualifiedName(namespace, name))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", gvr.Resource, qualifiedName(namespace, name), err)
	}
	return obj, nil
}

func qualifiedName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// accountUser is the user of a service account's token.
func accountUser(namespace, name, uid string) *user.Info {
	return &user.Info{
		Name:   sa.Username(namespace, name),
		UID:    uid,
		Groups: []string{user.ServiceAccountsGroup, user.ServiceAccountsGroup + ":" + namespace},
	}
}
