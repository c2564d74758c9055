package nodeinfo

import (
	"fmt"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// wildcardIP is the host IP a port bound to every address uses.
const wildcardIP = "0.0.0.0"

// HostPort is a port a pod claims on its node.
type HostPort struct {
	IP       string
	Protocol string
	Port     int32
}

// String formats the port as 8080/TCP, with the IP when it is not the wildcard.
func (p HostPort) String() string {
	if p.IP == wildcardIP {
		return fmt.Sprintf("%d/%s", p.Port, p.Protocol)
	}
	return fmt.Sprintf("%s:%d/%s", p.IP, p.Port, p.Protocol)
}

// podHostPorts returns the host ports spec's containers claim. A pod on the host's network claims
// every container port on the host: the apiserver defaults hostPort to containerPort for such a
// pod, as Kubernetes does, and a pod stored without that default is read the same way.
func podHostPorts(spec *corev1.PodSpec) []HostPort {
	var out []HostPort
	for _, c := range spec.GetContainers() {
		for _, p := range c.GetPorts() {
			port := p.GetHostPort()
			if port <= 0 && spec.GetHostNetwork() {
				port = p.GetContainerPort()
			}
			if port <= 0 {
				continue
			}
			hp := HostPort{IP: p.GetHostIp(), Protocol: p.GetProtocol(), Port: port}
			if hp.IP == "" {
				hp.IP = wildcardIP
			}
			if hp.Protocol == "" {
				hp.Protocol = "TCP"
			}
			out = append(out, hp)
		}
	}
	return out
}

// protocolPort is a port number on one protocol.
type protocolPort struct {
	protocol string
	port     int32
}

// HostPortSet is the set of host ports in use on a node, counted so that removing one of two
// pods claiming the same port keeps it in use.
type HostPortSet map[protocolPort]map[string]int

// Add records p as used.
func (s HostPortSet) Add(p HostPort) {
	pp := protocolPort{p.Protocol, p.Port}
	ips := s[pp]
	if ips == nil {
		ips = map[string]int{}
		s[pp] = ips
	}
	ips[p.IP]++
}

// Remove forgets one use of p.
func (s HostPortSet) Remove(p HostPort) {
	pp := protocolPort{p.Protocol, p.Port}
	ips := s[pp]
	if ips == nil {
		return
	}
	if ips[p.IP]--; ips[p.IP] <= 0 {
		delete(ips, p.IP)
	}
	if len(ips) == 0 {
		delete(s, pp)
	}
}

// Conflicts reports whether p collides with a port in use: the same protocol and port on the same
// IP, or where either side binds every address.
func (s HostPortSet) Conflicts(p HostPort) bool {
	ips := s[protocolPort{p.Protocol, p.Port}]
	if len(ips) == 0 {
		return false
	}
	if p.IP == wildcardIP {
		return true
	}
	_, same := ips[p.IP]
	_, wild := ips[wildcardIP]
	return same || wild
}

// Clone returns a deep copy of s.
func (s HostPortSet) Clone() HostPortSet {
	out := make(HostPortSet, len(s))
	for pp, ips := range s {
		c := make(map[string]int, len(ips))
		for ip, n := range ips {
			c[ip] = n
		}
		out[pp] = c
	}
	return out
}
