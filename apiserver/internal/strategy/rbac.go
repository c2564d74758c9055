package strategy

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// roleStrategy holds the rules of Role and ClusterRole; namespaced is true for Role, whose rules
// may not name non-resource URLs.
type roleStrategy struct {
	noPrepare
	namespaced bool
}

// Default does nothing: Kubernetes defaults no role field.
func (roleStrategy) Default(scheme.Object) {}

// Validate checks every rule and, for a cluster role, its aggregation rule.
func (s roleStrategy) Validate(obj scheme.Object) field.ErrorList {
	var errs field.ErrorList
	var rules []*rbacv1.PolicyRule
	switch r := obj.(type) {
	case *rbacv1.Role:
		rules = r.GetRules()
	case *rbacv1.ClusterRole:
		rules = r.GetRules()
		if ag := r.GetAggregationRule(); ag != nil {
			p := field.NewPath("aggregationRule", "clusterRoleSelectors")
			if len(ag.GetClusterRoleSelectors()) == 0 {
				errs = append(errs, field.Required(p, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
			}
			for i, sel := range ag.GetClusterRoleSelectors() {
				errs = append(errs, validateLabelSelector(sel, p.Index(i))...)
			}
		}
	}
	for i, rule := range rules {
		errs = append(errs, validatePolicyRule(rule, s.namespaced, field.NewPath("rules").Index(i))...)
	}
	return errs
}

// validatePolicyRule checks one rule as Kubernetes' ValidatePolicyRule does: verbs are required;
// a non-resource rule names no resources and belongs to a cluster role; a resource rule names
// groups and resources.
func validatePolicyRule(rule *rbacv1.PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(rule.GetVerbs()) == 0 {
		errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
	}
	if len(rule.GetNonResourceUrls()) > 0 {
		if namespaced {
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), rule.GetNonResourceUrls(), "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.GetApiGroups()) > 0 || len(rule.GetResources()) > 0 || len(rule.GetResourceNames()) > 0 {
			errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), rule.GetNonResourceUrls(), "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return errs
	}
	if len(rule.GetApiGroups()) == 0 {
		errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.GetResources()) == 0 {
		errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does: every role field may change.
func (s roleStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList { return s.Validate(obj) }

// ValidateStatus has nothing to check: roles have no status.
func (roleStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (roleStrategy) SelectableFields(obj scheme.Object) map[string]string { return metaFields(obj, 0) }

// bindingStrategy holds the rules of RoleBinding and ClusterRoleBinding; namespaced is true for
// RoleBinding, which may grant a Role as well as a ClusterRole.
type bindingStrategy struct {
	noPrepare
	namespaced bool
}

// binding is what RoleBinding and ClusterRoleBinding share.
type binding interface {
	scheme.Object
	GetSubjects() []*rbacv1.Subject
	GetRoleRef() *rbacv1.RoleRef
}

// Default fills in the API group of the role reference and of user and group subjects, as
// Kubernetes' defaulting does.
func (bindingStrategy) Default(obj scheme.Object) {
	b := obj.(binding)
	if ref := b.GetRoleRef(); ref != nil && ref.GetApiGroup() == "" {
		ref.ApiGroup = scheme.GroupRBAC
	}
	for _, s := range b.GetSubjects() {
		if s.GetApiGroup() == "" && (s.GetKind() == "User" || s.GetKind() == "Group") {
			s.ApiGroup = scheme.GroupRBAC
		}
	}
}

// Validate checks the role reference and every subject as Kubernetes' ValidateRoleBinding does.
func (s bindingStrategy) Validate(obj scheme.Object) field.ErrorList {
	b := obj.(binding)
	var errs field.ErrorList
	ref, p := b.GetRoleRef(), field.NewPath("roleRef")
	if ref.GetApiGroup() != scheme.GroupRBAC {
		errs = append(errs, field.NotSupported(p.Child("apiGroup"), ref.GetApiGroup(), []string{scheme.GroupRBAC}))
	}
	kinds := []string{"ClusterRole"}
	if s.namespaced {
		kinds = []string{"Role", "ClusterRole"}
	}
	if ref.GetKind() != "ClusterRole" && (!s.namespaced || ref.GetKind() != "Role") {
		errs = append(errs, field.NotSupported(p.Child("kind"), ref.GetKind(), kinds))
	}
	if ref.GetName() == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	} else {
		errs = append(errs, check(p.Child("name"), ref.GetName(), validation.IsValidPathSegmentName(ref.GetName()))...)
	}
	for i, sub := range b.GetSubjects() {
		errs = append(errs, validateSubject(sub, s.namespaced, field.NewPath("subjects").Index(i))...)
	}
	return errs
}

// validateSubject checks one subject: a name, a known kind with its API group, and a namespace
// for a service account named by a cluster role binding.
func validateSubject(sub *rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sub.GetName() == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	switch sub.GetKind() {
	case "ServiceAccount":
		if sub.GetName() != "" {
			errs = append(errs, check(p.Child("name"), sub.GetName(), validation.IsDNS1123Subdomain(sub.GetName()))...)
		}
		if sub.GetApiGroup() != "" {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), sub.GetApiGroup(), []string{""}))
		}
		if !namespaced && sub.GetNamespace() == "" {
			errs = append(errs, field.Required(p.Child("namespace"), ""))
		}
	case "User", "Group":
		if sub.GetApiGroup() != scheme.GroupRBAC {
			errs = append(errs, field.NotSupported(p.Child("apiGroup"), sub.GetApiGroup(), []string{scheme.GroupRBAC}))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("kind"), sub.GetKind(), []string{"ServiceAccount", "User", "Group"}))
	}
	return errs
}

// ValidateUpdate checks the replacement and refuses a change of the role reference, with
// Kubernetes' message: a binding's grant is changed by deleting and recreating it.
func (s bindingStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	cur, prev := obj.(binding).GetRoleRef(), old.(binding).GetRoleRef()
	if cur.GetApiGroup() != prev.GetApiGroup() || cur.GetKind() != prev.GetKind() || cur.GetName() != prev.GetName() {
		errs = append(errs, field.Invalid(field.NewPath("roleRef"), cur, "cannot change roleRef"))
	}
	return errs
}

// ValidateStatus has nothing to check: bindings have no status.
func (bindingStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (bindingStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
