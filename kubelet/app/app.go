// Package app wires keelson-kubelet together: its flags, and run.Main's configuration, logging and
// signal handling around the embeddable server.
package app

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/keelson-dev/keelson/kubelet/internal/runtime/process"
	"github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/run"
)

// component names keelson-kubelet in environment variables (KEELSON_KUBELET_<FLAG>).
const component = "kubelet"

// Config is everything keelson-kubelet reads from flags, the environment and --config.
type Config = config.Daemon[server.Config]

// NewFlags returns keelson-kubelet's flags with their defaults. Every flag is also read from
// KEELSON_KUBELET_<FLAG> and from the --config file.
func NewFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("keelson-"+component, pflag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	d := server.DefaultConfig()
	fs.String("address", d.Address, "IP address to serve the kubelet API on")
	fs.Int("port", d.Port, "port to serve the kubelet API on (0: any free port)")
	fs.String("healthz-bind-address", d.HealthzBindAddress, "IP address to serve /healthz and /metrics on")
	fs.Int("healthz-port", d.HealthzPort, "port to serve /healthz, /livez, /readyz and /metrics on (0: any free port)")
	fs.Duration("shutdown-timeout", d.ShutdownTimeout, "how long to let in-flight work finish on shutdown")
	d.APIClient.AddFlags(fs)
	fs.Lookup("kubeconfig").Usage = "kubeconfig file naming the API servers, their CA and the kubelet's credentials (empty: plain text, no credentials). " +
		"With --bootstrap-kubeconfig it is used as it is when its client certificate is valid; otherwise, once the bootstrap has a certificate, " +
		"it is written (mode 0600) to present <cert-dir>/kubelet-client-current.pem, which renewals replace"
	fs.String("hostname-override", d.HostnameOverride, "node name to use instead of the host name")
	fs.String("node-ip", d.NodeIP, "the node's InternalIP (default: the first non-loopback IPv4 address; any 127.x address lets several kubelets share a machine)")
	fs.Bool("register-node", d.RegisterNode, "register the node with the API server")
	fs.StringSlice("register-with-taints", d.RegisterWithTaints, "taints to register the node with, as key[=value]:Effect")
	fs.StringSlice("node-labels", d.NodeLabels, "labels to add to the node, as key=value")
	fs.Int("max-pods", d.MaxPods, "number of pods the node can run")
	fs.StringSlice("system-reserved", d.SystemReserved, "resources reserved for the system, as name=quantity (cpu=100m,memory=100Mi)")
	fs.StringSlice("kube-reserved", d.KubeReserved, "resources reserved for Keelson's daemons, as name=quantity")
	fs.Duration("node-status-update-frequency", d.NodeStatusUpdateFrequency, "longest time between two node status posts")
	fs.Int("node-lease-duration-seconds", d.NodeLeaseDurationSeconds, "duration of the node's Lease; it is renewed every quarter of it")
	fs.String("tls-cert-file", d.TLSCertFile, "serving certificate of the kubelet API, PEM (with --tls-private-key-file)")
	fs.String("tls-private-key-file", d.TLSPrivateKeyFile, "private key of --tls-cert-file, PEM")
	fs.String("cert-dir", d.CertDir, "directory of the kubelet's certificates: the self-signed serving one the kubelet API uses when --tls-cert-file is not set (empty, with no --tls-cert-file: plain text), and the client one a TLS bootstrap writes, kubelet-client-current.pem (empty: <root-dir>/pki)")
	fs.String("client-ca-file", d.ClientCAFile, "CA bundle whose certificates the kubelet API's clients must present")
	fs.String("root-dir", d.RootDir, "the kubelet's state directory; its filesystem is the node's ephemeral storage")
	fs.String("pod-manifest-path", d.PodManifestPath, "directory (or file) of static pod manifests")
	fs.Duration("file-check-frequency", d.FileCheckFrequency, "how often to read --pod-manifest-path again")
	fs.String("manifest-url", d.ManifestURL, "URL to poll for static pod manifests")
	fs.StringArray("manifest-url-header", d.ManifestURLHeader, "Key:Value header sent with --manifest-url requests (repeatable)")
	fs.Duration("http-check-frequency", d.HTTPCheckFrequency, "how often to poll --manifest-url")
	fs.String("runtime", d.Runtime, "container runtime: process (host processes in cgroups) or hollow (runs nothing, for scale tests)")
	fs.String("cgroup-root", d.CgroupRoot, "cgroup under which the kubepods hierarchy goes (default: the root of each cgroup mount)")
	fs.String("pod-logs-dir", d.PodLogsDir, "directory of the pods' log directories")
	fs.String("container-log-max-size", d.ContainerLogMaxSize, "size at which a container's log file is rotated")
	fs.Int("container-log-max-files", d.ContainerLogMaxFiles, "number of log files kept per container, the current one included")
	fs.Duration("relist-period", d.RelistPeriod, "how often the runtime is listed for container changes")
	fs.Duration("shutdown-grace-period", d.ShutdownGracePeriod, "how long a node shutdown (SIGTERM/SIGINT) takes to terminate the node's pods (0: stop without terminating them)")
	fs.Duration("shutdown-grace-period-critical-pods", d.ShutdownGracePeriodCriticalPods, "the part of --shutdown-grace-period, at its end, given to critical pods")
	fs.String("bootstrap-kubeconfig", d.Bootstrap.BootstrapKubeconfig, "kubeconfig with bootstrap credentials, used to request a client certificate when neither --kubeconfig nor --cert-dir holds a valid one; the servers are then --kubeconfig's or its own, or --apiserver's when given")
	fs.Bool("rotate-certificates", d.Bootstrap.RotateCertificates, "renew the client certificate through a new certificate signing request before it expires")
	fs.Duration("certificate-expiration", d.Bootstrap.CertificateExpiration, "validity to ask for in certificate signing requests (0: the signer's; at least 10m)")
	fs.Int("hollow-nodes", d.HollowNodes, "run this many hollow nodes (no real pods) in this process instead of one node")
	fs.String("hollow-node-prefix", d.HollowNodePrefix, "hollow nodes are named <prefix>-<i>")
	config.DefaultProcess().AddFlags(fs, component)
	return fs
}

// monitorCommand is the hidden subcommand under which the process runtime re-executes this
// binary as a container's monitor (see process.RunMonitor) when keelson-kubelet-monitor is not
// installed next to it.
const monitorCommand = "monitor"

// Run runs keelson-kubelet with the given command-line arguments until SIGINT or SIGTERM. It
// returns nil after a clean shutdown or when args ask for help. With the hidden first argument
// "monitor" it is instead a container monitor of the process runtime.
func Run(args []string) error {
	if len(args) > 0 && args[0] == monitorCommand {
		return process.RunMonitor(args[1:])
	}
	return run.Main(component, NewFlags(), args, run.Serve(server.New))
}
