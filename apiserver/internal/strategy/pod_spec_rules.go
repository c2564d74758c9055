package strategy

import (
	"math"
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// validatePodSpec checks a defaulted pod spec, of a pod or of a workload's pod template, and names
// every bad field under p.
func validatePodSpec(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	if spec == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	vols, errs := validateVolumes(spec.GetVolumes(), p.Child("volumes"))
	pc := &podContext{
		volumes:     vols,
		hostNetwork: spec.GetHostNetwork(),
		gracePeriod: spec.GetTerminationGracePeriodSeconds(),
	}
	for _, c := range spec.GetContainers() {
		pc.containers = append(pc.containers, c.GetName())
	}
	errs = append(errs, validateContainers(spec, pc, p)...)
	errs = append(errs, oneOf(p.Child("restartPolicy"), spec.GetRestartPolicy(), true, "Always", "Never", "OnFailure")...)
	errs = append(errs, validateDNS(spec, p)...)
	errs = append(errs, validateLabels(spec.GetNodeSelector(), p.Child("nodeSelector"))...)
	if n := spec.GetServiceAccountName(); n != "" {
		errs = append(errs, dns1123Subdomain(p.Child("serviceAccountName"), n)...)
	}
	if n := spec.GetNodeName(); n != "" {
		errs = append(errs, dns1123Subdomain(p.Child("nodeName"), n)...)
	}
	if spec.TerminationGracePeriodSeconds != nil {
		errs = append(errs, nonNegative(p.Child("terminationGracePeriodSeconds"), spec.GetTerminationGracePeriodSeconds())...)
	}
	if spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, inRange(p.Child("activeDeadlineSeconds"), spec.GetActiveDeadlineSeconds(), 1, math.MaxInt32)...)
	}
	errs = append(errs, validatePodSecurityContext(spec.SecurityContext, p.Child("securityContext"))...)
	for i, s := range spec.GetImagePullSecrets() {
		if s.GetName() == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	if h := spec.GetHostname(); h != "" {
		errs = append(errs, dns1123Label(p.Child("hostname"), h)...)
	}
	if s := spec.GetSubdomain(); s != "" {
		errs = append(errs, dns1123Label(p.Child("subdomain"), s)...)
	}
	errs = append(errs, validateAffinity(spec.Affinity, p.Child("affinity"))...)
	if s := spec.GetSchedulerName(); s != "" {
		errs = append(errs, dns1123Subdomain(p.Child("schedulerName"), s)...)
	}
	errs = append(errs, validateTolerations(spec.GetTolerations(), p.Child("tolerations"))...)
	for i, a := range spec.GetHostAliases() {
		ap := p.Child("hostAliases").Index(i)
		errs = append(errs, ipAddress(ap.Child("ip"), a.GetIp())...)
		for j, h := range a.GetHostnames() {
			errs = append(errs, dns1123Subdomain(ap.Child("hostnames").Index(j), h)...)
		}
	}
	if n := spec.GetPriorityClassName(); n != "" {
		errs = append(errs, dns1123Subdomain(p.Child("priorityClassName"), n)...)
	}
	errs = append(errs, optionalOneOf(p.Child("preemptionPolicy"), spec.PreemptionPolicy, "Never", "PreemptLowerPriority")...)
	if n := spec.RuntimeClassName; n != nil {
		errs = append(errs, dns1123Subdomain(p.Child("runtimeClassName"), *n)...)
	}
	for i, g := range spec.GetReadinessGates() {
		errs = append(errs, qualifiedName(p.Child("readinessGates").Index(i).Child("conditionType"), g.GetConditionType())...)
	}
	errs = append(errs, validateResourceList(spec.GetOverhead(), p.Child("overhead"), containerResource)...)
	errs = append(errs, validateResourceRequirements(spec.GetResources(), p.Child("resources"))...)
	errs = append(errs, validateEphemeralContainerQuantities(spec.GetEphemeralContainers(), p.Child("ephemeralContainers"))...)
	for i, v := range spec.GetVolumes() {
		if t := v.GetEphemeral().GetVolumeClaimTemplate(); t != nil {
			vp := p.Child("volumes").Index(i).Child("ephemeral", "volumeClaimTemplate", "spec", "resources")
			errs = append(errs, validateClaimResources(t.GetSpec().GetResources(), vp)...)
		}
	}
	errs = append(errs, validateTopologySpread(spec.GetTopologySpreadConstraints(), p.Child("topologySpreadConstraints"))...)
	if os := spec.Os; os != nil {
		errs = append(errs, oneOf(p.Child("os", "name"), os.GetName(), true, "linux", "windows")...)
	}
	gates := map[string]bool{}
	for i, g := range spec.GetSchedulingGates() {
		gp := p.Child("schedulingGates").Index(i).Child("name")
		errs = append(errs, qualifiedName(gp, g.GetName())...)
		if gates[g.GetName()] {
			errs = append(errs, field.Duplicate(gp, g.GetName()))
		}
		gates[g.GetName()] = true
	}
	return errs
}

func validateDNS(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	errs := oneOf(p.Child("dnsPolicy"), spec.GetDnsPolicy(), true, "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
	cfg := spec.DnsConfig
	if spec.GetDnsPolicy() == "None" && cfg == nil {
		errs = append(errs, field.Required(p.Child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None"))
	}
	if cfg == nil {
		return errs
	}
	cp := p.Child("dnsConfig")
	if spec.GetDnsPolicy() == "None" && len(cfg.GetNameservers()) == 0 {
		errs = append(errs, field.Required(cp.Child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"))
	}
	if n := len(cfg.GetNameservers()); n > 3 {
		errs = append(errs, field.Invalid(cp.Child("nameservers"), cfg.GetNameservers(), "must not have more than 3 nameservers"))
	}
	for i, ns := range cfg.GetNameservers() {
		errs = append(errs, ipAddress(cp.Child("nameservers").Index(i), ns)...)
	}
	if n := len(cfg.GetSearches()); n > 32 {
		errs = append(errs, field.Invalid(cp.Child("searches"), cfg.GetSearches(), "must not have more than 32 search paths"))
	}
	for i, s := range cfg.GetSearches() {
		if s == "." {
			continue
		}
		errs = append(errs, dns1123Subdomain(cp.Child("searches").Index(i), strings.TrimSuffix(s, "."))...)
	}
	for i, o := range cfg.GetOptions() {
		if o.GetName() == "" {
			errs = append(errs, field.Required(cp.Child("options").Index(i), "must not be empty"))
		}
	}
	return errs
}

// validateEphemeralContainerQuantities checks the quantities of ephemeral containers, which no
// other rule reads: their resources and the divisors of their environment's resource references.
func validateEphemeralContainerQuantities(cs []*corev1.EphemeralContainer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range cs {
		cp := p.Index(i)
		errs = append(errs, validateResourceRequirements(c.GetResources(), cp.Child("resources"))...)
		for j, e := range c.GetEnv() {
			if d := e.GetValueFrom().GetResourceFieldRef().GetDivisor(); d != "" {
				errs = append(errs, validateQuantity(cp.Child("env").Index(j).Child("valueFrom", "resourceFieldRef", "divisor"), d)...)
			}
		}
	}
	return errs
}
