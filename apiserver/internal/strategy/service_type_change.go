package strategy

import (
	"slices"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// dropTypeDependentFields clears, when a service changes to a type that has no use for them, the
// fields its old type had allocated and the client left as they were: the cluster IPs and IP
// families on a change to ExternalName, the node ports on a change to a type without node ports.
// The allocator then gives those values back. Kubernetes' service strategy does the same.
func dropTypeDependentFields(s, o *corev1.ServiceSpec) {
	if o.GetType() != "ExternalName" && s.GetType() == "ExternalName" {
		if s.GetClusterIp() == o.GetClusterIp() && slices.Equal(s.GetClusterIps(), o.GetClusterIps()) {
			s.ClusterIp, s.ClusterIps = "", nil
		}
		if slices.Equal(s.GetIpFamilies(), o.GetIpFamilies()) {
			s.IpFamilies = nil
		}
		if s.GetIpFamilyPolicy() == o.GetIpFamilyPolicy() {
			s.IpFamilyPolicy = nil
		}
	}
	if nodePorts(o.GetType()) && !nodePorts(s.GetType()) && sameNodePorts(s, o) {
		for _, p := range s.GetPorts() {
			p.NodePort = 0
		}
	}
	if s.GetHealthCheckNodePort() == o.GetHealthCheckNodePort() && (s.GetType() != "LoadBalancer" || s.GetExternalTrafficPolicy() != "Local") {
		s.HealthCheckNodePort = 0
	}
}

// sameNodePorts reports whether s's ports name the node ports o's ports of the same port and
// protocol had (or none).
func sameNodePorts(s, o *corev1.ServiceSpec) bool {
	for _, p := range s.GetPorts() {
		if p.GetNodePort() == 0 {
			continue
		}
		held := false
		for _, op := range o.GetPorts() {
			if op.GetNodePort() == p.GetNodePort() {
				held = true
			}
		}
		if !held {
			return false
		}
	}
	return true
}
