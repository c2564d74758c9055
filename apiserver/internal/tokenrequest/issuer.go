package tokenrequest

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/node"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Lifetimes a request may ask for, as Kubernetes bounds them.
const (
	MinExpirationSeconds     = 600
	DefaultExpirationSeconds = 3600
	MaxExpirationSeconds     = 1 << 32
)

// Getter reads the objects a token names: the service account, and the Pod or Secret it is bound
// to. *registry.Store is one.
type Getter interface {
	Get(ctx context.Context, namespace, name string, opts registry.GetOptions) (scheme.Object, error)
}

// Config configures an Issuer.
type Config struct {
	// Signer signs the tokens (--service-account-signing-key-file).
	Signer *serviceaccount.Signer
	// Issuer is the tokens' iss claim (--service-account-issuer).
	Issuer string
	// Audiences are a token's audiences when the request names none (--api-audiences; default
	// the issuer).
	Audiences []string
	// ServiceAccounts, Pods, Secrets and Nodes read what a request names.
	ServiceAccounts, Pods, Secrets, Nodes Getter
	// Clock stamps issue and expiry (default the real clock).
	Clock clock.Clock
}

// Issuer serves TokenRequests. It is safe for concurrent use.
type Issuer struct {
	cfg Config
}

var _ registry.TokenIssuer = (*Issuer)(nil)

// New returns an issuer of cfg.
func New(cfg Config) (*Issuer, error) {
	if cfg.Signer == nil || cfg.Issuer == "" {
		return nil, fmt.Errorf("token request: a signer and an issuer are required")
	}
	if cfg.ServiceAccounts == nil || cfg.Pods == nil || cfg.Secrets == nil || cfg.Nodes == nil {
		return nil, fmt.Errorf("token request: the getters are required")
	}
	if len(cfg.Audiences) == 0 {
		cfg.Audiences = []string{cfg.Issuer}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	return &Issuer{cfg: cfg}, nil
}

// NewForRegistry returns an issuer reading the objects a request names from reg.
func NewForRegistry(reg *registry.Registry, cfg Config) (*Issuer, error) {
	for _, g := range []struct {
		resource string
		dst      *Getter
	}{{"serviceaccounts", &cfg.ServiceAccounts}, {"pods", &cfg.Pods}, {"secrets", &cfg.Secrets}, {"nodes", &cfg.Nodes}} {
		st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: g.resource})
		if err != nil {
			return nil, fmt.Errorf("token request: %w", err)
		}
		*g.dst = st
	}
	return New(cfg)
}

// IssueToken validates and defaults tr, checks the service account and the bound object (which
// must exist with the uid the request names, and a pod must run as the account), and returns tr
// with its status: the signed token and when it expires. A node may only ask for a token bound to
// a pod bound to itself.
func (is *Issuer) IssueToken(ctx context.Context, namespace, name string, tr *authenticationv1.TokenRequest, dryRun bool) (*authenticationv1.TokenRequest, error) {
	if m := tr.GetMetadata(); (m.GetName() != "" && m.GetName() != name) || (m.GetNamespace() != "" && m.GetNamespace() != namespace) {
		return nil, apierrors.NewBadRequest("the name and namespace of the TokenRequest must be those of the service account %s/%s", namespace, name)
	}
	if tr.Spec == nil {
		tr.Spec = &authenticationv1.TokenRequestSpec{}
	}
	spec := tr.Spec
	if len(spec.Audiences) == 0 {
		spec.Audiences = append([]string(nil), is.cfg.Audiences...)
	}
	if spec.ExpirationSeconds == nil {
		exp := int64(DefaultExpirationSeconds)
		spec.ExpirationSeconds = &exp
	}
	if errs := validate(spec); len(errs) > 0 {
		return nil, apierrors.NewInvalid("authentication.k8s.io", "TokenRequest", name, registry.Causes(errs))
	}
	obj, err := is.cfg.ServiceAccounts.Get(ctx, namespace, name, registry.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := obj.(*corev1.ServiceAccount)
	tok := serviceaccount.BoundToken{
		Issuer: is.cfg.Issuer, Audiences: spec.Audiences, Namespace: namespace,
		ServiceAccount: serviceaccount.ObjectRef{Name: name, UID: sa.GetMetadata().GetUid()},
		Expiration:     time.Duration(spec.GetExpirationSeconds()) * time.Second,
	}
	if err := is.bind(ctx, namespace, name, spec.GetBoundObjectRef(), &tok); err != nil {
		return nil, err
	}
	now := is.cfg.Clock.Now()
	tok.IssuedAt = now
	out := &authenticationv1.TokenRequest{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: namespace, CreationTimestamp: timestamppb.New(now.Truncate(time.Second))},
		Spec:     spec,
		Status:   &authenticationv1.TokenRequestStatus{ExpirationTimestamp: timestamppb.New(now.Add(tok.Expiration).Truncate(time.Second))},
	}
	if dryRun {
		return out, nil
	}
	signed, err := is.cfg.Signer.SignBound(serviceaccount.NewBoundClaims(tok))
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	out.Status.Token = signed
	return out, nil
}

// bind fills tok's bound object from ref, checking it exists with the uid ref names, and that a
// node asks only for a pod bound to itself.
func (is *Issuer) bind(ctx context.Context, namespace, saName string, ref *authenticationv1.BoundObjectReference, tok *serviceaccount.BoundToken) error {
	nodeName, isNode := "", false
	if u, ok := user.FromContext(ctx); ok {
		nodeName, isNode = node.NameOf(u)
	}
	if ref == nil {
		if isNode {
			return apierrors.NewForbidden("", "serviceaccounts/token", saName, fmt.Sprintf("node %q may only request tokens bound to a pod", nodeName))
		}
		return nil
	}
	getter := is.cfg.Secrets
	if ref.GetKind() == "Pod" {
		getter = is.cfg.Pods
	}
	obj, err := getter.Get(ctx, namespace, ref.GetName(), registry.GetOptions{})
	if err != nil {
		return err
	}
	uid := obj.GetMetadata().GetUid()
	if ref.GetUid() != "" && ref.GetUid() != uid {
		return apierrors.NewConflict("", "serviceaccounts/token", saName, fmt.Sprintf(
			"the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.GetUid()))
	}
	bound := &serviceaccount.ObjectRef{Name: ref.GetName(), UID: uid}
	pod, isPod := obj.(*corev1.Pod)
	switch {
	case isNode && !isPod:
		return apierrors.NewForbidden("", "serviceaccounts/token", saName, fmt.Sprintf("node %q may only request tokens bound to a pod", nodeName))
	case isNode && pod.GetSpec().GetNodeName() != nodeName:
		return apierrors.NewForbidden("", "serviceaccounts/token", saName, fmt.Sprintf("node %q requested a token bound to a pod scheduled on a different node", nodeName))
	case !isPod:
		tok.Secret = bound
		return nil
	}
	if sa := node.ServiceAccountName(pod); sa != saName {
		return apierrors.NewBadRequest("cannot bind a token for service account %q to pod %q, which runs as service account %q", saName, ref.GetName(), sa)
	}
	tok.Pod = bound
	if n := pod.GetSpec().GetNodeName(); n != "" {
		if nobj, err := is.cfg.Nodes.Get(ctx, "", n, registry.GetOptions{ResourceVersion: "0"}); err == nil {
			tok.Node = &serviceaccount.ObjectRef{Name: n, UID: nobj.GetMetadata().GetUid()}
		}
	}
	return nil
}

// validate checks a defaulted spec as Kubernetes' ValidateTokenRequest does.
func validate(spec *authenticationv1.TokenRequestSpec) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	switch exp := spec.GetExpirationSeconds(); {
	case exp < MinExpirationSeconds:
		errs = append(errs, field.Invalid(p.Child("expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
	case exp > MaxExpirationSeconds:
		errs = append(errs, field.Invalid(p.Child("expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
	}
	for i, a := range spec.GetAudiences() {
		if a == "" {
			errs = append(errs, field.Invalid(p.Child("audiences").Index(i), a, "may not be empty"))
		}
	}
	if ref := spec.GetBoundObjectRef(); ref != nil {
		rp := p.Child("boundObjectRef")
		if k := ref.GetKind(); k != "Pod" && k != "Secret" {
			errs = append(errs, field.NotSupported(rp.Child("kind"), k, []string{"Pod", "Secret"}))
		}
		if v := ref.GetApiVersion(); v != "" && v != "v1" {
			errs = append(errs, field.NotSupported(rp.Child("apiVersion"), v, []string{"v1"}))
		}
		if ref.GetName() == "" {
			errs = append(errs, field.Required(rp.Child("name"), ""))
		}
	}
	return errs
}
