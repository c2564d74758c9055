// Package review answers the access reviews: authorization.k8s.io/v1 SubjectAccessReview,
// LocalSubjectAccessReview, SelfSubjectAccessReview and SelfSubjectRulesReview, and
// authentication.k8s.io/v1 SelfSubjectReview. They are create-only: each is answered from the
// authorizer (or the caller's identity) and nothing is stored. `kubectl auth can-i` and
// `kubectl auth whoami` use them.
package review

import (
	"context"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// RuleResolver lists the rules granted to a user in a namespace ("" for the cluster-wide ones);
// the RBAC authorizer is one.
type RuleResolver interface {
	RulesFor(u *user.Info, namespace string) []*rbacv1.PolicyRule
}

// Reviewer answers every review kind. It is safe for concurrent use.
type Reviewer struct {
	auth  authz.Authorizer
	rules RuleResolver
}

// New returns a reviewer asking auth; rules, when nil, makes every rules review incomplete.
func New(auth authz.Authorizer, rules RuleResolver) *Reviewer {
	return &Reviewer{auth: auth, rules: rules}
}

// Install makes r answer every review kind of reg's scheme.
func (r *Reviewer) Install(reg *registry.Registry) error {
	for _, k := range reg.Scheme().CreateOnly() {
		if k.Group != scheme.GroupAuthz && k.Group != scheme.GroupAuthn {
			continue
		}
		if err := reg.SetCreator(k.GVR(), r); err != nil {
			return err
		}
	}
	return nil
}

var _ registry.Creator = (*Reviewer)(nil)

// Create answers the review obj in namespace.
func (r *Reviewer) Create(ctx context.Context, namespace string, obj scheme.Object) (scheme.Object, error) {
	switch o := obj.(type) {
	case *authorizationv1.SubjectAccessReview:
		return o, r.subjectAccess(ctx, "SubjectAccessReview", o.GetSpec(), &o.Status)
	case *authorizationv1.LocalSubjectAccessReview:
		if ra := o.GetSpec().GetResourceAttributes(); ra == nil || ra.GetNamespace() != namespace {
			return nil, invalid("LocalSubjectAccessReview", "spec.resourceAttributes.namespace", "must match metadata.namespace")
		}
		if o.GetSpec().GetNonResourceAttributes() != nil {
			return nil, invalid("LocalSubjectAccessReview", "spec.nonResourceAttributes", "disallowed on this kind of request")
		}
		return o, r.subjectAccess(ctx, "LocalSubjectAccessReview", o.GetSpec(), &o.Status)
	case *authorizationv1.SelfSubjectAccessReview:
		u, err := caller(ctx)
		if err != nil {
			return nil, err
		}
		spec := o.GetSpec()
		attrs, err := attributes("SelfSubjectAccessReview", u, spec.GetResourceAttributes(), spec.GetNonResourceAttributes())
		if err != nil {
			return nil, err
		}
		o.Status = r.decide(ctx, attrs)
		return o, nil
	case *authorizationv1.SelfSubjectRulesReview:
		u, err := caller(ctx)
		if err != nil {
			return nil, err
		}
		o.Status = r.rulesOf(u, o.GetSpec().GetNamespace())
		return o, nil
	case *authenticationv1.SelfSubjectReview:
		u, err := caller(ctx)
		if err != nil {
			return nil, err
		}
		o.Status = &authenticationv1.SelfSubjectReviewStatus{UserInfo: &authenticationv1.UserInfo{
			Username: u.Name, Uid: u.UID, Groups: u.Groups,
		}}
		return o, nil
	}
	return nil, apierrors.NewBadRequest("%T is not a review", obj)
}

// caller returns the request's user; a context without one is refused, since only a request from
// outside has a "self".
func caller(ctx context.Context) (*user.Info, error) {
	u, ok := user.FromContext(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("the request carries no user to review")
	}
	return u, nil
}

// subjectAccess answers a review naming its user.
func (r *Reviewer) subjectAccess(ctx context.Context, kind string, spec *authorizationv1.SubjectAccessReviewSpec, status **authorizationv1.SubjectAccessReviewStatus) error {
	if spec.GetUser() == "" && len(spec.GetGroups()) == 0 {
		return invalid(kind, "spec.user", "at least one of user or group must be specified")
	}
	u := &user.Info{Name: spec.GetUser(), UID: spec.GetUid(), Groups: spec.GetGroups()}
	attrs, err := attributes(kind, u, spec.GetResourceAttributes(), spec.GetNonResourceAttributes())
	if err != nil {
		return err
	}
	*status = r.decide(ctx, attrs)
	return nil
}

// attributes turns a review's request into what the authorizer judges; exactly one of ra and nra
// must be set.
func attributes(kind string, u *user.Info, ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes) (authz.Attributes, error) {
	switch {
	case ra != nil && nra != nil:
		return authz.Attributes{}, invalid(kind, "spec.resourceAttributes", "cannot be specified in combination with nonResourceAttributes")
	case ra != nil:
		return authz.Attributes{User: u, Verb: ra.GetVerb(), ResourceRequest: true, APIGroup: ra.GetGroup(),
			APIVersion: ra.GetVersion(), Resource: ra.GetResource(), Subresource: ra.GetSubresource(),
			Namespace: ra.GetNamespace(), Name: ra.GetName()}, nil
	case nra != nil:
		return authz.Attributes{User: u, Verb: nra.GetVerb(), Path: nra.GetPath()}, nil
	}
	return authz.Attributes{}, invalid(kind, "spec.resourceAttributes", "exactly one of nonResourceAttributes or resourceAttributes must be specified")
}

// decide asks the authorizer; an error becomes the status's evaluationError, as in Kubernetes.
func (r *Reviewer) decide(ctx context.Context, attrs authz.Attributes) *authorizationv1.SubjectAccessReviewStatus {
	d, reason, err := r.auth.Authorize(ctx, attrs)
	st := &authorizationv1.SubjectAccessReviewStatus{Allowed: d == authz.Allow, Denied: d == authz.Deny, Reason: reason}
	if err != nil {
		st.EvaluationError = err.Error()
	}
	return st
}

// rulesOf lists u's rules in namespace, split as Kubernetes splits them.
func (r *Reviewer) rulesOf(u *user.Info, namespace string) *authorizationv1.SubjectRulesReviewStatus {
	st := &authorizationv1.SubjectRulesReviewStatus{ResourceRules: []*authorizationv1.ResourceRule{}, NonResourceRules: []*authorizationv1.NonResourceRule{}}
	if r.rules == nil {
		st.Incomplete = true
		return st
	}
	for _, rule := range r.rules.RulesFor(u, namespace) {
		if len(rule.GetNonResourceUrls()) > 0 {
			st.NonResourceRules = append(st.NonResourceRules, &authorizationv1.NonResourceRule{
				Verbs: rule.GetVerbs(), NonResourceUrls: rule.GetNonResourceUrls()})
			continue
		}
		st.ResourceRules = append(st.ResourceRules, &authorizationv1.ResourceRule{
			Verbs: rule.GetVerbs(), ApiGroups: rule.GetApiGroups(), Resources: rule.GetResources(), ResourceNames: rule.GetResourceNames()})
	}
	return st
}

// invalid is Kubernetes' Invalid answer to a malformed review.
func invalid(kind, field, msg string) error {
	group := scheme.GroupAuthz
	return apierrors.NewInvalid(group, kind, "", []apierrors.Cause{{Type: "FieldValueInvalid", Field: field, Message: "Invalid value: " + msg}})
}
