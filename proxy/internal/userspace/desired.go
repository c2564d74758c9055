package userspace

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/proxy/internal/balancer"
)

// DefaultAffinityTimeout is a ClientIP session's timeout when the Service sets none, as in
// Kubernetes (three hours).
const DefaultAffinityTimeout = 10800 * time.Second

// listenSpec is what a service port's listeners are opened for; a change reopens them.
type listenSpec struct {
	clusterIP netip.Addr
	port      uint16
	nodePort  uint16 // 0: none
	protocol  string // TCP or UDP
}

// portSpec is the wanted state of one service port.
type portSpec struct {
	listen    listenSpec
	endpoints []string
	affinity  balancer.Affinity
}

// desired computes the wanted state of every service port src knows of. Services without a
// cluster IP (headless, ExternalName, not yet allocated) and ports of other protocols (SCTP) are
// not forwarded.
func desired(src Source) map[balancer.ServicePort]portSpec {
	want := map[balancer.ServicePort]portSpec{}
	for _, svc := range src.Services() {
		spec := svc.GetSpec()
		if spec.GetType() == "ExternalName" {
			continue
		}
		ip, err := netip.ParseAddr(spec.GetClusterIp())
		if err != nil {
			continue // "", "None", or not an address: nothing to listen on
		}
		ns, name := svc.GetMetadata().GetNamespace(), svc.GetMetadata().GetName()
		eps, _ := src.Endpoints(ns, name)
		aff := affinity(spec)
		for _, port := range spec.GetPorts() {
			proto := protocol(port.GetProtocol())
			if proto != "TCP" && proto != "UDP" {
				continue
			}
			if port.GetPort() <= 0 || port.GetPort() > 65535 {
				continue
			}
			key := balancer.ServicePort{Namespace: ns, Name: name, Port: port.GetName()}
			nodePort := port.GetNodePort()
			if nodePort < 0 || nodePort > 65535 {
				nodePort = 0
			}
			want[key] = portSpec{
				listen: listenSpec{
					clusterIP: ip.Unmap(), port: uint16(port.GetPort()), nodePort: uint16(nodePort), protocol: proto,
				},
				endpoints: readyEndpoints(eps, port.GetName(), proto),
				affinity:  aff,
			}
		}
	}
	return want
}

// readyEndpoints lists the ready addresses of eps for the endpoint port named portName, as
// "ip:port".
func readyEndpoints(eps *corev1.Endpoints, portName, proto string) []string {
	var out []string
	for _, subset := range eps.GetSubsets() {
		for _, p := range subset.GetPorts() {
			if p.GetName() != portName || protocol(p.GetProtocol()) != proto || p.GetPort() <= 0 {
				continue
			}
			for _, a := range subset.GetAddresses() {
				out = append(out, net.JoinHostPort(a.GetIp(), strconv.Itoa(int(p.GetPort()))))
			}
		}
	}
	return out
}

// affinity reads a service's session affinity.
func affinity(spec *corev1.ServiceSpec) balancer.Affinity {
	if spec.GetSessionAffinity() != "ClientIP" {
		return balancer.Affinity{}
	}
	timeout := DefaultAffinityTimeout
	if s := spec.GetSessionAffinityConfig().GetClientIp().GetTimeoutSeconds(); s > 0 {
		timeout = time.Duration(s) * time.Second
	}
	return balancer.Affinity{ClientIP: true, Timeout: timeout}
}

// protocol returns p, or TCP when it is empty, as the API defaults it.
func protocol(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}
