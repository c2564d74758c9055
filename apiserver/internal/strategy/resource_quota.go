package strategy

import (
	"slices"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

var quotaScopes = []string{"BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"}

// resourceQuotaStrategy holds the rules of core/v1 resource quotas.
type resourceQuotaStrategy struct{ noPrepare }

// Default rounds the hard limits up to thousandths, as Kubernetes rounds every resource list.
func (resourceQuotaStrategy) Default(obj scheme.Object) {
	q := obj.(*corev1.ResourceQuota)
	roundResourceList(q.GetSpec().GetHard())
}

// DefaultStatus rounds the hard and used quantities of a status write.
func (resourceQuotaStrategy) DefaultStatus(obj scheme.Object) {
	st := obj.(*corev1.ResourceQuota).GetStatus()
	roundResourceList(st.GetHard())
	roundResourceList(st.GetUsed())
}

// Validate checks the hard limits, the scopes and the scope selector.
func (resourceQuotaStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := obj.(*corev1.ResourceQuota).GetSpec()
	p := field.NewPath("spec")
	errs := validateResourceList(spec.GetHard(), p.Child("hard"), quotaResource)
	seen := map[string]bool{}
	for i, s := range spec.GetScopes() {
		sp := p.Child("scopes").Index(i)
		errs = append(errs, oneOf(sp, s, true, quotaScopes...)...)
		if seen[s] {
			errs = append(errs, field.Duplicate(sp, s))
		}
		seen[s] = true
	}
	conflicting := func(scopes []string) bool {
		return (slices.Contains(scopes, "BestEffort") && slices.Contains(scopes, "NotBestEffort")) ||
			(slices.Contains(scopes, "Terminating") && slices.Contains(scopes, "NotTerminating"))
	}
	if conflicting(spec.GetScopes()) {
		errs = append(errs, field.Invalid(p.Child("scopes"), spec.GetScopes(), "conflicting scopes"))
	}
	var selected []string
	for i, r := range spec.GetScopeSelector().GetMatchExpressions() {
		rp := p.Child("scopeSelector", "matchExpressions").Index(i)
		errs = append(errs, oneOf(rp.Child("scopeName"), r.GetScopeName(), true, quotaScopes...)...)
		switch r.GetOperator() {
		case "In", "NotIn":
			if len(r.GetValues()) == 0 {
				errs = append(errs, field.Required(rp.Child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"))
			}
		case "Exists", "DoesNotExist":
			if len(r.GetValues()) > 0 {
				errs = append(errs, field.Invalid(rp.Child("values"), r.GetValues(), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"))
			}
		default:
			errs = append(errs, field.Invalid(rp.Child("operator"), r.GetOperator(), "not a valid selector operator"))
		}
		if slices.Contains(quotaScopes, r.GetScopeName()) && r.GetScopeName() != "PriorityClass" && r.GetOperator() != "Exists" && r.GetOperator() != "DoesNotExist" {
			errs = append(errs, field.Invalid(rp.Child("operator"), r.GetOperator(), "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"))
		}
		selected = append(selected, r.GetScopeName())
	}
	if conflicting(selected) {
		errs = append(errs, field.Invalid(p.Child("scopeSelector"), selected, "conflicting scopes"))
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does; every spec field may change.
func (s resourceQuotaStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus checks the quantities of hard and used.
func (resourceQuotaStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*corev1.ResourceQuota).GetStatus()
	p := field.NewPath("status")
	errs := validateResourceList(st.GetHard(), p.Child("hard"), quotaResource)
	return append(errs, validateResourceList(st.GetUsed(), p.Child("used"), quotaResource)...)
}

// SelectableFields returns the metadata fields.
func (resourceQuotaStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
