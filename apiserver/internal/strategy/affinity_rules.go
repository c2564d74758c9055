package strategy

import (
	"strconv"

	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func validateAffinity(a *corev1.Affinity, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	if na := a.NodeAffinity; na != nil {
		np := p.Child("nodeAffinity")
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			rp := np.Child("requiredDuringSchedulingIgnoredDuringExecution")
			errs = append(errs, validateNodeSelector(req, rp)...)
		}
		for i, t := range na.GetPreferredDuringSchedulingIgnoredDuringExecution() {
			tp := np.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			errs = append(errs, validateWeight(tp.Child("weight"), t.GetWeight())...)
			errs = append(errs, validateNodeSelectorTerm(t.GetPreference(), tp.Child("preference"))...)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		errs = append(errs, validatePodAffinityTerms(pa.GetRequiredDuringSchedulingIgnoredDuringExecution(),
			pa.GetPreferredDuringSchedulingIgnoredDuringExecution(), p.Child("podAffinity"))...)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		errs = append(errs, validatePodAffinityTerms(pa.GetRequiredDuringSchedulingIgnoredDuringExecution(),
			pa.GetPreferredDuringSchedulingIgnoredDuringExecution(), p.Child("podAntiAffinity"))...)
	}
	return errs
}

func validateNodeSelector(s *corev1.NodeSelector, p *field.Path) field.ErrorList {
	terms := s.GetNodeSelectorTerms()
	if len(terms) == 0 {
		return field.ErrorList{field.Required(p.Child("nodeSelectorTerms"), "must have at least one node selector term")}
	}
	var errs field.ErrorList
	for i, t := range terms {
		errs = append(errs, validateNodeSelectorTerm(t, p.Child("nodeSelectorTerms").Index(i))...)
	}
	return errs
}

func validateNodeSelectorTerm(t *corev1.NodeSelectorTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, r := range t.GetMatchExpressions() {
		rp := p.Child("matchExpressions").Index(i)
		errs = append(errs, qualifiedName(rp.Child("key"), r.GetKey())...)
		errs = append(errs, validateNodeSelectorOperator(r, rp)...)
	}
	for i, r := range t.GetMatchFields() {
		rp := p.Child("matchFields").Index(i)
		if r.GetKey() != "metadata.name" {
			errs = append(errs, field.NotSupported(rp.Child("key"), r.GetKey(), []string{"metadata.name"}))
		}
		switch r.GetOperator() {
		case "In", "NotIn":
			if len(r.GetValues()) != 1 {
				errs = append(errs, field.Required(rp.Child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
			}
		default:
			errs = append(errs, field.Invalid(rp.Child("operator"), r.GetOperator(), "not a valid selector operator"))
		}
	}
	return errs
}

func validateNodeSelectorOperator(r *corev1.NodeSelectorRequirement, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	values := r.GetValues()
	switch r.GetOperator() {
	case "In", "NotIn":
		if len(values) == 0 {
			errs = append(errs, field.Required(p.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
		}
	case "Exists", "DoesNotExist":
		if len(values) > 0 {
			errs = append(errs, field.Forbidden(p.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
		}
	case "Gt", "Lt":
		if len(values) != 1 {
			errs = append(errs, field.Required(p.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
		} else if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			errs = append(errs, field.Invalid(p.Child("values").Index(0), values[0], "must be an integer when `operator` is 'Lt' or 'Gt'"))
		}
		return errs
	default:
		return append(errs, field.Invalid(p.Child("operator"), r.GetOperator(), "not a valid selector operator"))
	}
	for i, v := range values {
		errs = append(errs, check(p.Child("values").Index(i), v, validation.IsValidLabelValue(v))...)
	}
	return errs
}

func validatePodAffinityTerms(required []*corev1.PodAffinityTerm, preferred []*corev1.WeightedPodAffinityTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range required {
		errs = append(errs, validatePodAffinityTerm(t, p.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i))...)
	}
	for i, t := range preferred {
		tp := p.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
		errs = append(errs, validateWeight(tp.Child("weight"), t.GetWeight())...)
		errs = append(errs, validatePodAffinityTerm(t.GetPodAffinityTerm(), tp.Child("podAffinityTerm"))...)
	}
	return errs
}

func validatePodAffinityTerm(t *corev1.PodAffinityTerm, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateLabelSelector(t.GetLabelSelector(), p.Child("labelSelector"))...)
	errs = append(errs, validateLabelSelector(t.GetNamespaceSelector(), p.Child("namespaceSelector"))...)
	for i, ns := range t.GetNamespaces() {
		errs = append(errs, dns1123Label(p.Child("namespaces").Index(i), ns)...)
	}
	if t.GetTopologyKey() == "" {
		errs = append(errs, field.Required(p.Child("topologyKey"), "can not be empty"))
	} else {
		errs = append(errs, qualifiedName(p.Child("topologyKey"), t.GetTopologyKey())...)
	}
	errs = append(errs, validateMatchLabelKeys(t.GetLabelSelector(), t.GetMatchLabelKeys(), p.Child("matchLabelKeys"))...)
	errs = append(errs, validateMatchLabelKeys(t.GetLabelSelector(), t.GetMismatchLabelKeys(), p.Child("mismatchLabelKeys"))...)
	return errs
}

func validateWeight(p *field.Path, w int32) field.ErrorList {
	if w < 1 || w > 100 {
		return field.ErrorList{field.Invalid(p, w, "must be in the range 1-100")}
	}
	return nil
}

func validateTolerations(ts []*corev1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range ts {
		tp := p.Index(i)
		if t.GetKey() != "" {
			errs = append(errs, qualifiedName(tp.Child("key"), t.GetKey())...)
		}
		switch t.GetOperator() {
		case "", "Equal":
			if t.GetKey() == "" {
				errs = append(errs, field.Invalid(tp.Child("operator"), t.GetOperator(),
					"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
			}
			errs = append(errs, check(tp.Child("value"), t.GetValue(), validation.IsValidLabelValue(t.GetValue()))...)
		case "Exists":
			if t.GetValue() != "" {
				errs = append(errs, field.Invalid(tp.Child("value"), t.GetValue(), "value must be empty when `operator` is 'Exists'"))
			}
		default:
			errs = append(errs, field.NotSupported(tp.Child("operator"), t.GetOperator(), []string{"Equal", "Exists"}))
		}
		errs = append(errs, oneOf(tp.Child("effect"), t.GetEffect(), false, "NoExecute", "NoSchedule", "PreferNoSchedule")...)
		if t.TolerationSeconds != nil && t.GetEffect() != "NoExecute" {
			errs = append(errs, field.Invalid(tp.Child("effect"), t.GetEffect(), "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
	}
	return errs
}

func validateTopologySpread(cs []*corev1.TopologySpreadConstraint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[[2]string]bool{}
	for i, c := range cs {
		cp := p.Index(i)
		if c.GetMaxSkew() <= 0 {
			errs = append(errs, field.Invalid(cp.Child("maxSkew"), c.GetMaxSkew(), "must be greater than zero"))
		}
		if c.GetTopologyKey() == "" {
			errs = append(errs, field.Required(cp.Child("topologyKey"), "can not be empty"))
		} else {
			errs = append(errs, qualifiedName(cp.Child("topologyKey"), c.GetTopologyKey())...)
		}
		errs = append(errs, oneOf(cp.Child("whenUnsatisfiable"), c.GetWhenUnsatisfiable(), true, "DoNotSchedule", "ScheduleAnyway")...)
		if c.MinDomains != nil {
			if c.GetMinDomains() <= 0 {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), c.GetMinDomains(), "must be greater than 0"))
			} else if c.GetWhenUnsatisfiable() != "DoNotSchedule" {
				errs = append(errs, field.Invalid(cp.Child("minDomains"), c.GetMinDomains(),
					"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not "+c.GetWhenUnsatisfiable()))
			}
		}
		errs = append(errs, optionalOneOf(cp.Child("nodeAffinityPolicy"), c.NodeAffinityPolicy, "Honor", "Ignore")...)
		errs = append(errs, optionalOneOf(cp.Child("nodeTaintsPolicy"), c.NodeTaintsPolicy, "Honor", "Ignore")...)
		errs = append(errs, validateLabelSelector(c.GetLabelSelector(), cp.Child("labelSelector"))...)
		errs = append(errs, validateMatchLabelKeys(c.GetLabelSelector(), c.GetMatchLabelKeys(), cp.Child("matchLabelKeys"))...)
		key := [2]string{c.GetTopologyKey(), c.GetWhenUnsatisfiable()}
		if seen[key] {
			errs = append(errs, field.Duplicate(cp, "{"+key[0]+", "+key[1]+"}"))
		}
		seen[key] = true
	}
	return errs
}

// validateMatchLabelKeys checks matchLabelKeys or mismatchLabelKeys: label keys that the label
// selector does not already name.
func validateMatchLabelKeys(sel *metav1.LabelSelector, keys []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, k := range keys {
		kp := p.Index(i)
		errs = append(errs, qualifiedName(kp, k)...)
		if _, ok := sel.GetMatchLabels()[k]; ok {
			errs = append(errs, field.Invalid(kp, k, "exists in both matchLabelKeys and labelSelector"))
		}
	}
	return errs
}
