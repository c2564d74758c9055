package kubeletapi

// Ports the kubelet serves on unless configured otherwise, as in Kubernetes.
const (
	// DefaultPort serves the kubelet's API: container logs, and later exec, attach and
	// port-forward. A Node advertises the port it really uses in
	// status.daemonEndpoints.kubeletEndpoint.port; 0 there means DefaultPort.
	DefaultPort = 10250
	// DefaultHealthzPort serves /healthz, /livez and /readyz on loopback.
	DefaultHealthzPort = 10248
)
