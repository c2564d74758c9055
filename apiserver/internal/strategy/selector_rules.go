package strategy

import (
	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// validateLabels checks a label map (a node selector, a service selector, template labels): keys
// are qualified names and values label values.
func validateLabels(labels map[string]string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		errs = append(errs, qualifiedName(p, k)...)
		errs = append(errs, check(p, labels[k], validation.IsValidLabelValue(labels[k]))...)
	}
	return errs
}

// validateLabelSelector checks a set-based label selector as Kubernetes' ValidateLabelSelector does.
func validateLabelSelector(s *metav1.LabelSelector, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	errs := validateLabels(s.GetMatchLabels(), p.Child("matchLabels"))
	for i, r := range s.GetMatchExpressions() {
		rp := p.Child("matchExpressions").Index(i)
		switch r.GetOperator() {
		case "In", "NotIn":
			if len(r.GetValues()) == 0 {
				errs = append(errs, field.Required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
			}
		case "Exists", "DoesNotExist":
			if len(r.GetValues()) > 0 {
				errs = append(errs, field.Forbidden(rp.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
			}
		default:
			errs = append(errs, field.Invalid(rp.Child("operator"), r.GetOperator(), "not a valid selector operator"))
		}
		errs = append(errs, qualifiedName(rp.Child("key"), r.GetKey())...)
		for j, v := range r.GetValues() {
			errs = append(errs, check(rp.Child("values").Index(j), v, validation.IsValidLabelValue(v))...)
		}
	}
	return errs
}

// selectorEmpty reports whether s selects everything.
func selectorEmpty(s *metav1.LabelSelector) bool {
	return len(s.GetMatchLabels()) == 0 && len(s.GetMatchExpressions()) == 0
}
