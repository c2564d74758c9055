package strategy

import (
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// defaultTemplate applies pod defaults to a workload's pod template, in place.
func defaultTemplate(t *corev1.PodTemplateSpec) {
	if t == nil {
		return
	}
	if t.Spec == nil {
		t.Spec = &corev1.PodSpec{}
	}
	defaultPodSpec(t.Spec)
}

// templateRules says what a workload allows in its pod template.
type templateRules struct {
	// restartPolicies are the restart policies the workload's pods may have.
	restartPolicies []string
	// kind names the workload in the activeDeadlineSeconds message; "" allows activeDeadlineSeconds.
	kind string
}

// validateTemplate checks a workload's pod template: present, valid labels and spec, a restart
// policy the workload allows.
func validateTemplate(t *corev1.PodTemplateSpec, p *field.Path, rules templateRules) field.ErrorList {
	if t == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	errs := validateLabels(t.GetMetadata().GetLabels(), p.Child("metadata", "labels"))
	sp := p.Child("spec")
	errs = append(errs, validatePodSpec(t.GetSpec(), sp)...)
	if rp := t.GetSpec().GetRestartPolicy(); rp != "" {
		errs = append(errs, oneOf(sp.Child("restartPolicy"), rp, true, rules.restartPolicies...)...)
	}
	if rules.kind != "" && t.GetSpec() != nil && t.GetSpec().ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(sp.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in "+rules.kind+" is not Supported"))
	}
	return errs
}

// validateSelectorAndTemplate checks a workload's label selector against its template: required,
// not empty, valid, and matching the template's labels.
func validateSelectorAndTemplate(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, p *field.Path, kind string) field.ErrorList {
	sp := p.Child("selector")
	if sel == nil {
		return field.ErrorList{field.Required(sp, "")}
	}
	errs := validateLabelSelector(sel, sp)
	if len(errs) > 0 {
		return errs
	}
	if selectorEmpty(sel) {
		return append(errs, field.Invalid(sp, sel, "empty selector is invalid for "+kind))
	}
	if t == nil {
		return errs
	}
	s, err := labels.FromLabelSelector(sel)
	if err != nil {
		return append(errs, field.Invalid(sp, sel, err.Error()))
	}
	if !s.Matches(labels.Set(t.GetMetadata().GetLabels())) {
		errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), t.GetMetadata().GetLabels(), "`selector` does not match template `labels`"))
	}
	return errs
}
