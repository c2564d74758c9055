package strategy

import (
	"cmp"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// defaultClientIPTimeout is Kubernetes' default session affinity timeout: three hours.
const defaultClientIPTimeout = 10800

// serviceStrategy holds the rules of core/v1 services.
type serviceStrategy struct{}

// Default sets type ClusterIP, sessionAffinity None (without a sessionAffinityConfig), port
// protocol TCP, targetPort equal to port, the traffic policies, for ClientIP affinity a three-hour
// timeout and, for a load balancer, ipMode VIP on its ingress addresses.
func (serviceStrategy) Default(obj scheme.Object) {
	svc := obj.(*corev1.Service)
	if svc.Spec == nil {
		svc.Spec = &corev1.ServiceSpec{}
	}
	s := svc.Spec
	setString(&s.Type, "ClusterIP")
	setString(&s.SessionAffinity, "None")
	for _, port := range s.Ports {
		setString(&port.Protocol, "TCP")
		if t := port.TargetPort; t == nil || (t.GetType() == intOrStringInt && t.GetIntVal() == 0) ||
			(t.GetType() == intOrStringString && t.GetStrVal() == "") {
			port.TargetPort = intOrInt(port.GetPort())
		}
	}
	if s.SessionAffinity == "ClientIP" {
		if s.SessionAffinityConfig == nil {
			s.SessionAffinityConfig = &corev1.SessionAffinityConfig{}
		}
		if s.SessionAffinityConfig.ClientIp == nil {
			s.SessionAffinityConfig.ClientIp = &corev1.ClientIPConfig{}
		}
		if s.SessionAffinityConfig.ClientIp.TimeoutSeconds == nil {
			s.SessionAffinityConfig.ClientIp.TimeoutSeconds = proto.Int32(defaultClientIPTimeout)
		}
	}
	if s.SessionAffinity == "None" {
		s.SessionAffinityConfig = nil
	}
	if externallyAccessible(s) {
		setString(&s.ExternalTrafficPolicy, "Cluster")
	}
	if s.Type != "ExternalName" && s.InternalTrafficPolicy == nil {
		s.InternalTrafficPolicy = proto.String("Cluster")
	}
	if s.Type == "LoadBalancer" && s.AllocateLoadBalancerNodePorts == nil {
		s.AllocateLoadBalancerNodePorts = proto.Bool(true)
	}
	if s.ClusterIp != "" && len(s.ClusterIps) == 0 {
		s.ClusterIps = []string{s.ClusterIp}
	}
	if s.Type == "LoadBalancer" {
		for _, ing := range svc.GetStatus().GetLoadBalancer().GetIngress() {
			if ing.Ip != "" && ing.IpMode == nil {
				ing.IpMode = proto.String("VIP")
			}
		}
	}
}

// nodePorts reports whether services of type t get node ports.
func nodePorts(t string) bool { return t == "NodePort" || t == "LoadBalancer" }

// externallyAccessible reports whether traffic reaches s from outside the cluster: through node
// ports, a load balancer or external IPs. Only such a service has an external traffic policy.
func externallyAccessible(s *corev1.ServiceSpec) bool {
	return nodePorts(s.GetType()) || (s.GetType() == "ClusterIP" && len(s.GetExternalIps()) > 0)
}

// PrepareForUpdate keeps the addresses and ports the server allocated when the replacement leaves
// them out, as Kubernetes does for a PUT or apply without them.
func (serviceStrategy) PrepareForUpdate(obj, old scheme.Object) {
	s, o := obj.(*corev1.Service).GetSpec(), old.(*corev1.Service).GetSpec()
	if s == nil || o == nil {
		return
	}
	dropTypeDependentFields(s, o)
	if s.GetType() == "ExternalName" || o.GetType() == "ExternalName" {
		return
	}
	// A service that stops being reachable from outside drops the external traffic policy it kept
	// from before, unless the client changed it, as Kubernetes does.
	if externallyAccessible(o) && !externallyAccessible(s) && s.GetExternalTrafficPolicy() == o.GetExternalTrafficPolicy() {
		s.ExternalTrafficPolicy = ""
	}
	if s.ClusterIp == "" && len(s.ClusterIps) == 0 {
		s.ClusterIp = o.GetClusterIp()
		s.ClusterIps = append([]string(nil), o.GetClusterIps()...)
	}
	if nodePorts(s.GetType()) && nodePorts(o.GetType()) {
		for _, port := range s.GetPorts() {
			if port.GetNodePort() != 0 {
				continue
			}
			for _, op := range o.GetPorts() {
				if op.GetPort() == port.GetPort() && op.GetProtocol() == port.GetProtocol() {
					port.NodePort = op.GetNodePort()
				}
			}
		}
		if s.GetHealthCheckNodePort() == 0 && s.GetExternalTrafficPolicy() == "Local" {
			s.HealthCheckNodePort = o.GetHealthCheckNodePort()
		}
	}
}

var serviceTypes = []string{"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}

// Validate checks the type, ports, addresses, selector and policies.
func (serviceStrategy) Validate(obj scheme.Object) field.ErrorList {
	s := cmp.Or(obj.(*corev1.Service).GetSpec(), &corev1.ServiceSpec{})
	p := field.NewPath("spec")
	errs := oneOf(p.Child("type"), s.GetType(), true, serviceTypes...)
	headless := s.GetClusterIp() == "None"
	switch s.GetType() {
	case "ExternalName":
		if s.GetClusterIp() != "" {
			errs = append(errs, field.Forbidden(p.Child("clusterIP"), "may not be set for ExternalName services"))
		}
		if s.GetExternalName() == "" {
			errs = append(errs, field.Required(p.Child("externalName"), ""))
		} else {
			errs = append(errs, dns1123Subdomain(p.Child("externalName"), s.GetExternalName())...)
		}
	default:
		if len(s.GetPorts()) == 0 && !headless {
			errs = append(errs, field.Required(p.Child("ports"), ""))
		}
	}
	if headless && nodePorts(s.GetType()) {
		errs = append(errs, field.Invalid(p.Child("clusterIPs").Index(0), "None", "may not be set to 'None' for "+s.GetType()+" services"))
	}
	errs = append(errs, validateServicePorts(s, p.Child("ports"))...)
	errs = append(errs, validateClusterIPs(s, p)...)
	errs = append(errs, validateLabels(s.GetSelector(), p.Child("selector"))...)
	errs = append(errs, oneOf(p.Child("sessionAffinity"), s.GetSessionAffinity(), true, "ClientIP", "None")...)
	if cfg := s.GetSessionAffinityConfig(); cfg != nil {
		if s.GetSessionAffinity() != "ClientIP" {
			errs = append(errs, field.Invalid(p.Child("sessionAffinityConfig"), cfg,
				fmt.Sprintf("must not be set when session affinity is %s", s.GetSessionAffinity())))
		} else if t := cfg.GetClientIp().GetTimeoutSeconds(); t <= 0 || t > 86400 {
			errs = append(errs, field.Invalid(p.Child("sessionAffinityConfig", "clientIP", "timeoutSeconds"), t,
				"must be greater than 0 and less than 86400"))
		}
	}
	for i, ip := range s.GetExternalIps() {
		errs = append(errs, ipAddress(p.Child("externalIPs").Index(i), ip)...)
	}
	if ip := s.GetLoadBalancerIp(); ip != "" {
		if s.GetType() != "LoadBalancer" {
			errs = append(errs, field.Forbidden(p.Child("loadBalancerIP"), "may only be used when `type` is 'LoadBalancer'"))
		}
		errs = append(errs, ipAddress(p.Child("loadBalancerIP"), ip)...)
	}
	for i, r := range s.GetLoadBalancerSourceRanges() {
		if s.GetType() != "LoadBalancer" {
			errs = append(errs, field.Forbidden(p.Child("loadBalancerSourceRanges"), "may only be used when `type` is 'LoadBalancer'"))
			break
		}
		errs = append(errs, cidr(p.Child("loadBalancerSourceRanges").Index(i), r)...)
	}
	if etp := s.GetExternalTrafficPolicy(); etp != "" {
		if !externallyAccessible(s) {
			errs = append(errs, field.Invalid(p.Child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"))
		} else {
			errs = append(errs, oneOf(p.Child("externalTrafficPolicy"), etp, true, "Cluster", "Local")...)
		}
	}
	if hc := s.GetHealthCheckNodePort(); hc != 0 {
		if s.GetType() != "LoadBalancer" || s.GetExternalTrafficPolicy() != "Local" {
			errs = append(errs, field.Invalid(p.Child("healthCheckNodePort"), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
		} else {
			errs = append(errs, portNumber(p.Child("healthCheckNodePort"), hc)...)
		}
	}
	if s.GetType() != "ExternalName" {
		errs = append(errs, optionalOneOf(p.Child("internalTrafficPolicy"), s.InternalTrafficPolicy, "Cluster", "Local")...)
	}
	errs = append(errs, optionalOneOf(p.Child("ipFamilyPolicy"), s.IpFamilyPolicy, "PreferDualStack", "RequireDualStack", "SingleStack")...)
	families := map[string]bool{}
	for i, f := range s.GetIpFamilies() {
		fp := p.Child("ipFamilies").Index(i)
		errs = append(errs, oneOf(fp, f, true, "IPv4", "IPv6")...)
		if families[f] {
			errs = append(errs, field.Duplicate(fp, f))
		}
		families[f] = true
	}
	if len(s.GetIpFamilies()) > 2 {
		errs = append(errs, field.Invalid(p.Child("ipFamilies"), s.GetIpFamilies(), "may specify no more than one IP for each IP family"))
	}
	if s.GetType() == "LoadBalancer" {
		if c := s.LoadBalancerClass; c != nil {
			errs = append(errs, qualifiedName(p.Child("loadBalancerClass"), *c)...)
		}
	} else if s.LoadBalancerClass != nil {
		errs = append(errs, field.Forbidden(p.Child("loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"))
	}
	if s.AllocateLoadBalancerNodePorts != nil && s.GetType() != "LoadBalancer" {
		errs = append(errs, field.Forbidden(p.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	return errs
}

func validateServicePorts(s *corev1.ServiceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := map[string]bool{}
	keys := map[string]bool{}
	for i, port := range s.GetPorts() {
		pp := p.Index(i)
		errs = append(errs, validateServicePortName(port.GetName(), len(s.GetPorts()), names, pp.Child("name"))...)
		errs = append(errs, portNumber(pp.Child("port"), port.GetPort())...)
		errs = append(errs, oneOf(pp.Child("protocol"), port.GetProtocol(), true, "SCTP", "TCP", "UDP")...)
		if s.GetType() != "ExternalName" && (s.GetClusterIp() != "None" || port.GetTargetPort() != nil) {
			errs = append(errs, validatePortRef(port.GetTargetPort(), pp.Child("targetPort"))...)
		}
		if ap := port.AppProtocol; ap != nil {
			errs = append(errs, qualifiedName(pp.Child("appProtocol"), *ap)...)
		}
		if np := port.GetNodePort(); np != 0 {
			if !nodePorts(s.GetType()) {
				errs = append(errs, field.Forbidden(pp.Child("nodePort"), "may not be used when `type` is '"+s.GetType()+"'"))
			} else {
				errs = append(errs, portNumber(pp.Child("nodePort"), np)...)
			}
		}
		key := fmt.Sprintf("%d/%s", port.GetPort(), port.GetProtocol())
		if keys[key] {
			errs = append(errs, field.Duplicate(pp, key))
		}
		keys[key] = true
	}
	return errs
}

// validateServicePortName checks the name of a service's or endpoints' port: required when there
// are several ports, a DNS label, and unique among the names seen so far.
func validateServicePortName(name string, ports int, seen map[string]bool, p *field.Path) field.ErrorList {
	switch {
	case name == "" && ports > 1:
		return field.ErrorList{field.Required(p, "")}
	case name == "":
		return nil
	case seen[name]:
		return append(dns1123Label(p, name), field.Duplicate(p, name))
	}
	seen[name] = true
	return dns1123Label(p, name)
}

// validateClusterIPs checks clusterIP and clusterIPs: "", "None" or addresses, the first of
// clusterIPs equal to clusterIP.
func validateClusterIPs(s *corev1.ServiceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	ips := s.GetClusterIps()
	if s.GetClusterIp() != "" && len(ips) > 0 && ips[0] != s.GetClusterIp() {
		errs = append(errs, field.Invalid(p.Child("clusterIPs"), ips, "first value must match `clusterIP`"))
	}
	if len(ips) > 2 {
		errs = append(errs, field.Invalid(p.Child("clusterIPs"), ips, "may specify no more than one IP for each IP family"))
	}
	for i, ip := range ips {
		if ip == "None" {
			if i > 0 || len(ips) > 1 {
				errs = append(errs, field.Invalid(p.Child("clusterIPs").Index(i), ip, "must not be 'None' when more than one address is given"))
			}
			continue
		}
		if len(validation.IsValidIP(ip)) > 0 {
			errs = append(errs, field.Invalid(p.Child("clusterIPs").Index(i), ip, "must be empty, 'None', or a valid IP address"))
		}
	}
	if c := s.GetClusterIp(); c != "" && c != "None" && len(ips) == 0 && len(validation.IsValidIP(c)) > 0 {
		errs = append(errs, field.Invalid(p.Child("clusterIP"), c, "must be empty, 'None', or a valid IP address"))
	}
	return errs
}

// ValidateUpdate checks the replacement; once set, clusterIP may not change unless the service
// becomes or stops being an ExternalName service. Validate already ties clusterIPs[0] to it.
func (s serviceStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	spec, oldSpec := obj.(*corev1.Service).GetSpec(), old.(*corev1.Service).GetSpec()
	if oldSpec.GetType() == "ExternalName" || spec.GetType() == "ExternalName" {
		return errs
	}
	p := field.NewPath("spec")
	if oldSpec.GetClusterIp() != "" {
		errs = append(errs, immutable(p.Child("clusterIP"), spec.GetClusterIp(), oldSpec.GetClusterIp())...)
	}
	return errs
}

// DefaultStatus sets the ipMode of every load balancer ingress with an ip and no ipMode to VIP, as
// Kubernetes defaults it.
func (serviceStrategy) DefaultStatus(obj scheme.Object) {
	for _, in := range obj.(*corev1.Service).GetStatus().GetLoadBalancer().GetIngress() {
		if in.GetIp() != "" && in.IpMode == nil {
			vip := "VIP"
			in.IpMode = &vip
		}
	}
}

// ValidateStatus checks the load balancer ingress addresses.
func (serviceStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	p := field.NewPath("status", "loadBalancer", "ingress")
	var errs field.ErrorList
	for i, in := range obj.(*corev1.Service).GetStatus().GetLoadBalancer().GetIngress() {
		ip := p.Index(i)
		if in.GetIp() != "" {
			errs = append(errs, ipAddress(ip.Child("ip"), in.GetIp())...)
		}
		if in.GetHostname() != "" {
			errs = append(errs, dns1123Subdomain(ip.Child("hostname"), in.GetHostname())...)
		}
		errs = append(errs, optionalOneOf(ip.Child("ipMode"), in.IpMode, "Proxy", "VIP")...)
	}
	return errs
}

// SelectableFields returns the metadata fields.
func (serviceStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
