package strategy

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// endpointsStrategy holds the rules of core/v1 endpoints.
type endpointsStrategy struct{ noPrepare }

// Default sets port protocol TCP.
func (endpointsStrategy) Default(obj scheme.Object) {
	for _, s := range obj.(*corev1.Endpoints).GetSubsets() {
		for _, port := range s.GetPorts() {
			setString(&port.Protocol, "TCP")
		}
	}
}

// Validate checks every subset's addresses and ports.
func (endpointsStrategy) Validate(obj scheme.Object) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("subsets")
	for i, s := range obj.(*corev1.Endpoints).GetSubsets() {
		sp := p.Index(i)
		if len(s.GetAddresses()) == 0 && len(s.GetNotReadyAddresses()) == 0 {
			errs = append(errs, field.Required(sp, "must specify `addresses` or `notReadyAddresses`"))
		}
		errs = append(errs, validateEndpointAddresses(s.GetAddresses(), sp.Child("addresses"))...)
		errs = append(errs, validateEndpointAddresses(s.GetNotReadyAddresses(), sp.Child("notReadyAddresses"))...)
		names := map[string]bool{}
		for j, port := range s.GetPorts() {
			pp := sp.Child("ports").Index(j)
			errs = append(errs, validateServicePortName(port.GetName(), len(s.GetPorts()), names, pp.Child("name"))...)
			errs = append(errs, portNumber(pp.Child("port"), port.GetPort())...)
			errs = append(errs, oneOf(pp.Child("protocol"), port.GetProtocol(), true, "SCTP", "TCP", "UDP")...)
			if ap := port.AppProtocol; ap != nil {
				errs = append(errs, qualifiedName(pp.Child("appProtocol"), *ap)...)
			}
		}
	}
	return errs
}

// validateEndpointAddresses checks addresses. Unlike Kubernetes it accepts loopback addresses:
// Keelson's process runtime and test clusters serve pods on 127.0.0.0/8.
func validateEndpointAddresses(addrs []*corev1.EndpointAddress, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, a := range addrs {
		ap := p.Index(i)
		errs = append(errs, ipAddress(ap.Child("ip"), a.GetIp())...)
		if h := a.GetHostname(); h != "" {
			errs = append(errs, dns1123Label(ap.Child("hostname"), h)...)
		}
		if n := a.NodeName; n != nil {
			errs = append(errs, dns1123Subdomain(ap.Child("nodeName"), *n)...)
		}
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does; endpoints have no immutable fields.
func (s endpointsStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus has nothing to check: endpoints have no status.
func (endpointsStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (endpointsStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
