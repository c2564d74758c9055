package rbac

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// EscalationCheck is the admission step that keeps RBAC from granting more than its writer holds,
// as Kubernetes' role and binding storage does: a user may write a role only when they hold every
// permission it grants or may "escalate" it, and a binding only when they hold every permission of
// the role it references or may "bind" that role. A context without a user (the apiserver's own
// bootstrap and aggregation writes) is not judged.
type EscalationCheck struct {
	auth authz.Authorizer
	src  Source
}

// NewEscalationCheck returns the check asking auth (the apiserver's whole authorizer chain) and
// reading referenced roles from src.
func NewEscalationCheck(auth authz.Authorizer, src Source) *EscalationCheck {
	return &EscalationCheck{auth: auth, src: src}
}

var _ registry.Admitter = (*EscalationCheck)(nil)

// Admit judges a create or update of a role or binding; other kinds, and deletes, which grant
// nothing, pass.
func (e *EscalationCheck) Admit(ctx context.Context, a registry.Attributes) error {
	if a.Kind.Group != scheme.GroupRBAC || a.Operation == registry.OperationDelete || a.Object == nil {
		return nil
	}
	u, ok := user.FromContext(ctx)
	if !ok || (a.Old != nil && sameGrant(a.Object, a.Old)) {
		return nil
	}
	switch obj := a.Object.(type) {
	case *rbacv1.Role:
		return e.checkRole(ctx, u, a, "roles", obj.GetRules())
	case *rbacv1.ClusterRole:
		return e.checkRole(ctx, u, a, "clusterroles", obj.GetRules())
	case *rbacv1.RoleBinding:
		return e.checkBinding(ctx, u, a, obj.GetRoleRef())
	case *rbacv1.ClusterRoleBinding:
		return e.checkBinding(ctx, u, a, obj.GetRoleRef())
	}
	return nil
}

func (e *EscalationCheck) checkRole(ctx context.Context, u *user.Info, a registry.Attributes, resource string, rules []*rbacv1.PolicyRule) error {
	if e.allowed(ctx, u, "escalate", resource, a.Namespace, a.Name) {
		return nil
	}
	missing, err := e.notHeld(ctx, u, a.Namespace, rules)
	if err != nil || len(missing) == 0 {
		return err
	}
	return forbidden(a, u, missing)
}

func (e *EscalationCheck) checkBinding(ctx context.Context, u *user.Info, a registry.Attributes, ref *rbacv1.RoleRef) error {
	resource := "roles"
	if ref.GetKind() == "ClusterRole" {
		resource = "clusterroles"
	}
	if e.allowed(ctx, u, "bind", resource, a.Namespace, ref.GetName()) {
		return nil
	}
	rules, err := e.roleRules(ctx, a.Namespace, ref)
	if err != nil {
		return err
	}
	missing, err := e.notHeld(ctx, u, a.Namespace, rules)
	if err != nil || len(missing) == 0 {
		return err
	}
	return forbidden(a, u, missing)
}

// sameGrant reports whether an update leaves what an object grants as it was: a role's rules,
// aggregation rule and labels (which decide what aggregates it), a binding's subjects and role.
// Such an update (the garbage collector's owner references and finalizers, an annotation) grants
// nothing new, so it is not judged, as Kubernetes lets the garbage collector's updates through.
func sameGrant(obj, old scheme.Object) bool {
	if !maps.Equal(obj.GetMetadata().GetLabels(), old.GetMetadata().GetLabels()) {
		return false
	}
	switch o := obj.(type) {
	case *rbacv1.Role:
		p, ok := old.(*rbacv1.Role)
		return ok && rulesEqual(o.GetRules(), p.GetRules())
	case *rbacv1.ClusterRole:
		p, ok := old.(*rbacv1.ClusterRole)
		return ok && rulesEqual(o.GetRules(), p.GetRules()) && proto.Equal(o.GetAggregationRule(), p.GetAggregationRule())
	case *rbacv1.RoleBinding:
		p, ok := old.(*rbacv1.RoleBinding)
		return ok && subjectsEqual(o.GetSubjects(), p.GetSubjects()) && proto.Equal(o.GetRoleRef(), p.GetRoleRef())
	case *rbacv1.ClusterRoleBinding:
		p, ok := old.(*rbacv1.ClusterRoleBinding)
		return ok && subjectsEqual(o.GetSubjects(), p.GetSubjects()) && proto.Equal(o.GetRoleRef(), p.GetRoleRef())
	}
	return false
}

func subjectsEqual(a, b []*rbacv1.Subject) bool {
	return slices.EqualFunc(a, b, func(x, y *rbacv1.Subject) bool { return proto.Equal(x, y) })
}

// roleRules reads the rules of the role a binding in namespace references.
func (e *EscalationCheck) roleRules(ctx context.Context, namespace string, ref *rbacv1.RoleRef) ([]*rbacv1.PolicyRule, error) {
	if ref.GetKind() == "ClusterRole" {
		st, err := e.src.Store(gvr("clusterroles"))
		if err != nil {
			return nil, err
		}
		obj, err := st.Get(ctx, "", ref.GetName(), registry.GetOptions{})
		if err != nil {
			return nil, err
		}
		return obj.(*rbacv1.ClusterRole).GetRules(), nil
	}
	st, err := e.src.Store(gvr("roles"))
	if err != nil {
		return nil, err
	}
	obj, err := st.Get(ctx, namespace, ref.GetName(), registry.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.Role).GetRules(), nil
}

// allowed asks whether u may use a special verb on an RBAC object.
func (e *EscalationCheck) allowed(ctx context.Context, u *user.Info, verb, resource, namespace, name string) bool {
	d, _, err := e.auth.Authorize(ctx, authz.Attributes{User: u, Verb: verb, ResourceRequest: true,
		APIGroup: scheme.GroupRBAC, APIVersion: "v1", Resource: resource, Namespace: namespace, Name: name})
	return err == nil && d == authz.Allow
}

// notHeld returns the rules of which u does not hold every verb, group, resource, name and path
// in namespace ("" for cluster-wide), asking the authorizer for each combination. A wildcard is
// asked as itself, so only a holder of the wildcard holds it.
func (e *EscalationCheck) notHeld(ctx context.Context, u *user.Info, namespace string, rules []*rbacv1.PolicyRule) ([]*rbacv1.PolicyRule, error) {
	var missing []*rbacv1.PolicyRule
	for _, r := range rules {
		held := true
		for _, attrs := range expand(u, namespace, r) {
			d, _, err := e.auth.Authorize(ctx, attrs)
			if err != nil {
				return nil, fmt.Errorf("check permission %s: %w", attrs.Verb, err)
			}
			if d != authz.Allow {
				held = false
				break
			}
		}
		if !held {
			missing = append(missing, r)
		}
	}
	return missing, nil
}

// expand lists the single requests a rule allows.
func expand(u *user.Info, namespace string, r *rbacv1.PolicyRule) []authz.Attributes {
	var out []authz.Attributes
	for _, verb := range r.GetVerbs() {
		for _, path := range r.GetNonResourceUrls() {
			out = append(out, authz.Attributes{User: u, Verb: verb, Path: path})
		}
		names := r.GetResourceNames()
		if len(names) == 0 {
			names = []string{""}
		}
		for _, group := range r.GetApiGroups() {
			for _, res := range r.GetResources() {
				resource, sub, _ := strings.Cut(res, "/")
				for _, name := range names {
					out = append(out, authz.Attributes{User: u, Verb: verb, ResourceRequest: true, APIGroup: group,
						Resource: resource, Subresource: sub, Namespace: namespace, Name: name})
				}
			}
		}
	}
	return out
}

// forbidden is Kubernetes' refusal of an escalation, naming the user and the rules not held.
func forbidden(a registry.Attributes, u *user.Info, rules []*rbacv1.PolicyRule) error {
	var b strings.Builder
	fmt.Fprintf(&b, "user %q (groups=%q) is attempting to grant RBAC permissions not currently held:", u.Name, u.Groups)
	for _, r := range rules {
		b.WriteString("\n" + formatRule(r))
	}
	return apierrors.NewForbidden(a.Kind.Group, a.Kind.Resource, a.Name, b.String())
}

// formatRule prints a rule as Kubernetes' CompactString does.
func formatRule(r *rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, v))
		}
	}
	add("APIGroups", r.GetApiGroups())
	add("Resources", r.GetResources())
	add("ResourceNames", r.GetResourceNames())
	add("NonResourceURLs", r.GetNonResourceUrls())
	add("Verbs", r.GetVerbs())
	return "{" + strings.Join(parts, ", ") + "}"
}
