package strategy

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// podStrategy holds the rules of core/v1 pods.
type podStrategy struct{ noPrepare }

// Default applies Kubernetes' pod defaults, those of a pod template and those only pods get. A negative terminationGracePeriodSeconds becomes 1, as
// Kubernetes does since 1.27.
func (podStrategy) Default(obj scheme.Object) {
	pod := obj.(*corev1.Pod)
	if pod.Spec == nil {
		pod.Spec = &corev1.PodSpec{}
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		pod.Spec.TerminationGracePeriodSeconds = proto.Int64(1)
	}
	defaultPodSpec(pod.Spec)
	defaultPodOnly(pod.Spec)
}

// Validate checks the pod's spec.
func (podStrategy) Validate(obj scheme.Object) field.ErrorList {
	return validatePodSpec(obj.(*corev1.Pod).GetSpec(), field.NewPath("spec"))
}

const podUpdateForbidden = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// ValidateUpdate checks the new spec and that it changes only what Kubernetes lets a pod update
// change: container images, activeDeadlineSeconds (only down), tolerations (only additions),
// terminationGracePeriodSeconds and scheduling gates (only removals).
func (s podStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*corev1.Pod).GetSpec(), &corev1.PodSpec{})
	oldSpec := cmp.Or(old.(*corev1.Pod).GetSpec(), &corev1.PodSpec{})
	errs := s.Validate(obj)
	p := field.NewPath("spec")

	if len(spec.GetContainers()) != len(oldSpec.GetContainers()) {
		return append(errs, field.Forbidden(p.Child("containers"), "pod updates may not add or remove containers"))
	}
	if len(spec.GetInitContainers()) != len(oldSpec.GetInitContainers()) {
		return append(errs, field.Forbidden(p.Child("initContainers"), "pod updates may not add or remove containers"))
	}
	if old, cur := oldSpec.ActiveDeadlineSeconds, spec.ActiveDeadlineSeconds; old != nil {
		switch {
		case cur == nil:
			errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), nil, "must not update from a positive integer to nil value"))
		case *cur > *old:
			errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *cur, "must be less than or equal to previous value"))
		}
	}
	errs = append(errs, validateTolerationsAdded(spec.GetTolerations(), oldSpec.GetTolerations(), p.Child("tolerations"))...)
	for _, g := range spec.GetSchedulingGates() {
		if !slices.ContainsFunc(oldSpec.GetSchedulingGates(), func(o *corev1.PodSchedulingGate) bool { return o.GetName() == g.GetName() }) {
			errs = append(errs, field.Forbidden(p.Child("schedulingGates"),
				fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.GetName())))
		}
	}

	// Compare what is left once every field an update may change is taken from the old spec.
	munged := proto.Clone(spec).(*corev1.PodSpec)
	for i, c := range munged.GetContainers() {
		c.Image = oldSpec.GetContainers()[i].GetImage()
	}
	for i, c := range munged.GetInitContainers() {
		c.Image = oldSpec.GetInitContainers()[i].GetImage()
	}
	munged.ActiveDeadlineSeconds = oldSpec.ActiveDeadlineSeconds
	munged.Tolerations = oldSpec.GetTolerations()
	munged.TerminationGracePeriodSeconds = oldSpec.TerminationGracePeriodSeconds
	munged.SchedulingGates = oldSpec.GetSchedulingGates()
	if !proto.Equal(munged, oldSpec) {
		errs = append(errs, field.Forbidden(p, podUpdateForbidden))
	}
	return errs
}

// validateTolerationsAdded checks that every old toleration is still there; only its
// tolerationSeconds may change.
func validateTolerationsAdded(cur, old []*corev1.Toleration, p *field.Path) field.ErrorList {
	for _, o := range old {
		found := slices.ContainsFunc(cur, func(t *corev1.Toleration) bool {
			return t.GetKey() == o.GetKey() && t.GetOperator() == o.GetOperator() &&
				t.GetValue() == o.GetValue() && t.GetEffect() == o.GetEffect()
		})
		if !found {
			return field.ErrorList{field.Forbidden(p, "existing toleration can not be modified except its tolerationSeconds")}
		}
	}
	return nil
}

var podPhases = []string{"Failed", "Pending", "Running", "Succeeded", "Unknown"}

// DefaultStatus rounds the resource lists of the container statuses, as Kubernetes rounds every
// resource list.
func (podStrategy) DefaultStatus(obj scheme.Object) {
	st := obj.(*corev1.Pod).GetStatus()
	roundStatusResources(st.GetInitContainerStatuses(), st.GetContainerStatuses(), st.GetEphemeralContainerStatuses())
}

// ValidateStatus checks a pod status write: a known phase that does not leave a terminal phase,
// well-formed addresses, sane container statuses and well-formed quantities in them.
func (podStrategy) ValidateStatus(obj, old scheme.Object) field.ErrorList {
	st, oldSt := obj.(*corev1.Pod).GetStatus(), old.(*corev1.Pod).GetStatus()
	p := field.NewPath("status")
	errs := oneOf(p.Child("phase"), st.GetPhase(), false, podPhases...)
	if op := oldSt.GetPhase(); (op == "Succeeded" || op == "Failed") && st.GetPhase() != op {
		errs = append(errs, field.Forbidden(p.Child("phase"), "cannot transition from a terminal phase to a different phase"))
	}
	if n := st.GetNominatedNodeName(); n != "" {
		errs = append(errs, dns1123Subdomain(p.Child("nominatedNodeName"), n)...)
	}
	if ip := st.GetPodIp(); ip != "" {
		errs = append(errs, ipAddress(p.Child("podIP"), ip)...)
	}
	errs = append(errs, validateIPList(st.GetPodIps(), st.GetPodIp(), p.Child("podIPs"), "podIP")...)
	if ip := st.GetHostIp(); ip != "" {
		errs = append(errs, ipAddress(p.Child("hostIP"), ip)...)
	}
	hostIPs := make([]*corev1.PodIP, 0, len(st.GetHostIps()))
	for _, h := range st.GetHostIps() {
		hostIPs = append(hostIPs, &corev1.PodIP{Ip: h.GetIp()})
	}
	errs = append(errs, validateIPList(hostIPs, st.GetHostIp(), p.Child("hostIPs"), "hostIP")...)
	errs = append(errs, validateContainerStatuses(st.GetInitContainerStatuses(), p.Child("initContainerStatuses"))...)
	errs = append(errs, validateContainerStatuses(st.GetContainerStatuses(), p.Child("containerStatuses"))...)
	errs = append(errs, validateContainerStatuses(st.GetEphemeralContainerStatuses(), p.Child("ephemeralContainerStatuses"))...)
	errs = append(errs, oneOf(p.Child("qosClass"), st.GetQosClass(), false, "BestEffort", "Burstable", "Guaranteed")...)
	return errs
}

// validateIPList checks podIPs or hostIPs: at most one address per family, the first one equal to
// the singular field.
func validateIPList(ips []*corev1.PodIP, first string, p *field.Path, firstName string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, ip := range ips {
		errs = append(errs, ipAddress(p.Index(i), ip.GetIp())...)
		if seen[ip.GetIp()] {
			errs = append(errs, field.Duplicate(p.Index(i), ip.GetIp()))
		}
		seen[ip.GetIp()] = true
	}
	if len(ips) > 2 {
		errs = append(errs, field.Invalid(p, len(ips), "may specify no more than one IP for each IP family"))
	}
	if len(ips) > 0 && ips[0].GetIp() != first {
		errs = append(errs, field.Invalid(p.Index(0), ips[0].GetIp(), "must match `"+firstName+"`"))
	}
	return errs
}

func validateContainerStatuses(cs []*corev1.ContainerStatus, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	for i, c := range cs {
		cp := p.Index(i)
		if c.GetName() == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		} else if names[c.GetName()] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.GetName()))
		}
		names[c.GetName()] = true
		errs = append(errs, nonNegative(cp.Child("restartCount"), int64(c.GetRestartCount()))...)
		errs = append(errs, validateResourceList(c.GetAllocatedResources(), cp.Child("allocatedResources"), anyResource)...)
		errs = append(errs, validateResourceList(c.GetResources().GetLimits(), cp.Child("resources", "limits"), anyResource)...)
		errs = append(errs, validateResourceList(c.GetResources().GetRequests(), cp.Child("resources", "requests"), anyResource)...)
		for _, st := range []struct {
			name  string
			state *corev1.ContainerState
		}{{"state", c.GetState()}, {"lastState", c.GetLastState()}} {
			set := 0
			if st.state.GetWaiting() != nil {
				set++
			}
			if st.state.GetRunning() != nil {
				set++
			}
			if st.state.GetTerminated() != nil {
				set++
			}
			if set > 1 {
				errs = append(errs, field.Forbidden(cp.Child(st.name), "may not specify more than 1 state type"))
			}
		}
	}
	return errs
}

// SelectableFields returns the pod fields a field selector may name.
func (podStrategy) SelectableFields(obj scheme.Object) map[string]string {
	pod := obj.(*corev1.Pod)
	f := metaFields(obj, 8)
	f["spec.nodeName"] = pod.GetSpec().GetNodeName()
	f["spec.restartPolicy"] = pod.GetSpec().GetRestartPolicy()
	f["spec.schedulerName"] = pod.GetSpec().GetSchedulerName()
	f["spec.serviceAccountName"] = pod.GetSpec().GetServiceAccountName()
	f["spec.hostNetwork"] = strconv.FormatBool(pod.GetSpec().GetHostNetwork())
	f["status.phase"] = pod.GetStatus().GetPhase()
	f["status.podIP"] = pod.GetStatus().GetPodIp()
	f["status.nominatedNodeName"] = pod.GetStatus().GetNominatedNodeName()
	return f
}
