package strategy

import (
	"maps"
	"slices"
	"strconv"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// nodeStrategy holds the rules of core/v1 nodes.
type nodeStrategy struct{ noPrepare }

// Default keeps podCIDR and podCIDRs in step, and sets allocatable to capacity when it is unset.
func (nodeStrategy) Default(obj scheme.Object) {
	n := obj.(*corev1.Node)
	if n.Spec == nil {
		n.Spec = &corev1.NodeSpec{}
	}
	switch s := n.Spec; {
	case s.PodCidr != "" && len(s.PodCidrs) == 0:
		s.PodCidrs = []string{s.PodCidr}
	case s.PodCidr == "" && len(s.PodCidrs) > 0:
		s.PodCidr = s.PodCidrs[0]
	}
	if st := n.Status; st != nil && st.Allocatable == nil && st.Capacity != nil {
		st.Allocatable = maps.Clone(st.Capacity)
	}
	roundResourceList(n.GetStatus().GetCapacity())
	roundResourceList(n.GetStatus().GetAllocatable())
}

// DefaultStatus rounds capacity and allocatable, as Default does, on a status write.
func (nodeStrategy) DefaultStatus(obj scheme.Object) {
	n := obj.(*corev1.Node)
	roundResourceList(n.GetStatus().GetCapacity())
	roundResourceList(n.GetStatus().GetAllocatable())
}

// Validate checks the pod CIDRs and taints, and the resources in the status, which the kubelet
// writes when it registers the node.
func (nodeStrategy) Validate(obj scheme.Object) field.ErrorList {
	n := obj.(*corev1.Node)
	spec := n.GetSpec()
	p := field.NewPath("spec")
	var errs field.ErrorList
	for i, c := range spec.GetPodCidrs() {
		errs = append(errs, cidr(p.Child("podCIDRs").Index(i), c)...)
	}
	if len(spec.GetPodCidrs()) > 2 {
		errs = append(errs, field.Invalid(p.Child("podCIDRs"), spec.GetPodCidrs(), "may specify no more than one CIDR for each IP family"))
	}
	if len(spec.GetPodCidrs()) > 0 && spec.GetPodCidr() != spec.GetPodCidrs()[0] {
		errs = append(errs, field.Invalid(p.Child("podCIDR"), spec.GetPodCidr(), "must match the first element of `podCIDRs`"))
	}
	errs = append(errs, validateTaints(spec.GetTaints(), p.Child("taints"))...)
	return append(errs, validateNodeStatus(n.GetStatus())...)
}

func validateTaints(taints []*corev1.Taint, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[[2]string]bool{}
	for i, t := range taints {
		tp := p.Index(i)
		if t.GetKey() == "" {
			errs = append(errs, field.Required(tp.Child("key"), ""))
		} else {
			errs = append(errs, qualifiedName(tp.Child("key"), t.GetKey())...)
		}
		errs = append(errs, check(tp.Child("value"), t.GetValue(), validation.IsValidLabelValue(t.GetValue()))...)
		errs = append(errs, oneOf(tp.Child("effect"), t.GetEffect(), true, "NoExecute", "NoSchedule", "PreferNoSchedule")...)
		key := [2]string{t.GetKey(), t.GetEffect()}
		if seen[key] {
			errs = append(errs, field.Duplicate(tp, "taints must be unique by key and effect pair"))
		}
		seen[key] = true
	}
	return errs
}

func validateNodeStatus(st *corev1.NodeStatus) field.ErrorList {
	p := field.NewPath("status")
	errs := validateResourceList(st.GetCapacity(), p.Child("capacity"), nodeResource)
	errs = append(errs, validateResourceList(st.GetAllocatable(), p.Child("allocatable"), nodeResource)...)
	if port := st.GetDaemonEndpoints().GetKubeletEndpoint().GetPort(); port != 0 {
		errs = append(errs, portNumber(p.Child("daemonEndpoints", "kubeletEndpoint", "Port"), port)...)
	}
	for i, a := range st.GetAddresses() {
		ap := p.Child("addresses").Index(i)
		errs = append(errs, oneOf(ap.Child("type"), a.GetType(), true, "ExternalDNS", "ExternalIP", "Hostname", "InternalDNS", "InternalIP")...)
		if a.GetAddress() == "" {
			errs = append(errs, field.Required(ap.Child("address"), ""))
		}
	}
	return errs
}

// ValidateUpdate checks the replacement; podCIDRs and providerID may only go from unset to set.
func (s nodeStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	spec, oldSpec := obj.(*corev1.Node).GetSpec(), old.(*corev1.Node).GetSpec()
	p := field.NewPath("spec")
	if len(oldSpec.GetPodCidrs()) > 0 && !slices.Equal(spec.GetPodCidrs(), oldSpec.GetPodCidrs()) {
		errs = append(errs, field.Forbidden(p.Child("podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if oldSpec.GetProviderId() != "" && spec.GetProviderId() != oldSpec.GetProviderId() {
		errs = append(errs, field.Forbidden(p.Child("providerID"), "node updates may not change providerID except from \"\" to valid"))
	}
	return errs
}

// ValidateStatus checks the resources, addresses and kubelet port.
func (nodeStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	return validateNodeStatus(obj.(*corev1.Node).GetStatus())
}

// SelectableFields adds spec.unschedulable.
func (nodeStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["spec.unschedulable"] = strconv.FormatBool(obj.(*corev1.Node).GetSpec().GetUnschedulable())
	return f
}
