package server

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/kubelet/internal/logs"
	"github.com/keelson-dev/keelson/kubelet/internal/pods"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/process"
	"github.com/keelson-dev/keelson/kubelet/internal/shutdown"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Config is what a kubelet needs to run. The mapstructure tags are the command-line flag names,
// Kubernetes' kubelet's where it has one.
type Config struct {
	// Address and Port are where the kubelet API listens (--address, --port; 0.0.0.0:10250).
	Address string `mapstructure:"address"`
	Port    int    `mapstructure:"port"`
	// HealthzBindAddress and HealthzPort are where /healthz and /metrics listen on their own
	// (127.0.0.1:10248).
	HealthzBindAddress string `mapstructure:"healthz-bind-address"`
	HealthzPort        int    `mapstructure:"healthz-port"`
	// ShutdownTimeout bounds how long in-flight requests may run once the kubelet is told to stop.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`
	// APIClient says how to reach the API server (--apiserver).
	config.APIClient `mapstructure:",squash"`

	// HostnameOverride, when set, is the node name instead of the machine's host name.
	HostnameOverride string `mapstructure:"hostname-override"`
	// NodeIP is the node's InternalIP; any 127.x address lets several kubelets share a machine.
	NodeIP string `mapstructure:"node-ip"`
	// RegisterNode creates the Node (or adopts an existing one).
	RegisterNode bool `mapstructure:"register-node"`
	// RegisterWithTaints are key=value:Effect taints the Node is created with.
	RegisterWithTaints []string `mapstructure:"register-with-taints"`
	// NodeLabels are key=value labels added to the Node.
	NodeLabels []string `mapstructure:"node-labels"`
	// MaxPods is the node's pods capacity.
	MaxPods int `mapstructure:"max-pods"`
	// SystemReserved and KubeReserved (name=quantity, e.g. cpu=100m,memory=100Mi) are taken
	// from capacity to make allocatable.
	SystemReserved []string `mapstructure:"system-reserved"`
	KubeReserved   []string `mapstructure:"kube-reserved"`
	// NodeStatusUpdateFrequency is the longest time between two node status posts.
	NodeStatusUpdateFrequency time.Duration `mapstructure:"node-status-update-frequency"`
	// NodeLeaseDurationSeconds is the node Lease's duration; it is renewed every quarter of it.
	NodeLeaseDurationSeconds int `mapstructure:"node-lease-duration-seconds"`
	// TLSCertFile and TLSPrivateKeyFile are the kubelet API's serving certificate and key. Without
	// them, CertDir set, the kubelet serves a self-signed certificate it keeps in CertDir
	// (kubelet.crt, kubelet.key); with neither, the kubelet API is plain text.
	TLSCertFile       string `mapstructure:"tls-cert-file"`
	TLSPrivateKeyFile string `mapstructure:"tls-private-key-file"`
	CertDir           string `mapstructure:"cert-dir"`
	// ClientCAFile is the CA bundle the kubelet API's clients (the API server) must present a
	// certificate of. Needs TLS.
	ClientCAFile string `mapstructure:"client-ca-file"`
	// RootDir is the kubelet's state directory; its filesystem is the node's ephemeral storage.
	RootDir string `mapstructure:"root-dir"`

	// PodManifestPath is a directory (or file) of static pod manifests, read every
	// FileCheckFrequency and on change.
	PodManifestPath    string        `mapstructure:"pod-manifest-path"`
	FileCheckFrequency time.Duration `mapstructure:"file-check-frequency"`
	// ManifestURL is polled every HTTPCheckFrequency for static pods, with ManifestURLHeader
	// (Key:Value) headers.
	ManifestURL        string        `mapstructure:"manifest-url"`
	ManifestURLHeader  []string      `mapstructure:"manifest-url-header"`
	HTTPCheckFrequency time.Duration `mapstructure:"http-check-frequency"`

	// Runtime names the container runtime: process (host processes in cgroups) or hollow (runs
	// nothing; every container reports Running).
	Runtime string `mapstructure:"runtime"`
	// CgroupRoot is the cgroup the kubepods hierarchy goes under, relative to each cgroup
	// mount ("" or "/": the root).
	CgroupRoot string `mapstructure:"cgroup-root"`
	// PodLogsDir holds the pods' log directories, <namespace>_<name>_<uid>/<container>/<n>.log.
	PodLogsDir string `mapstructure:"pod-logs-dir"`
	// ContainerLogMaxSize (a quantity, 10Mi) and ContainerLogMaxFiles bound each container's
	// log files: the current one is rotated at that size, and that many are kept.
	ContainerLogMaxSize  string `mapstructure:"container-log-max-size"`
	ContainerLogMaxFiles int    `mapstructure:"container-log-max-files"`
	// RelistPeriod is how often the runtime is listed for container changes.
	RelistPeriod time.Duration `mapstructure:"relist-period"`

	// ShutdownGracePeriod is how long a node shutdown (SIGTERM or SIGINT to the kubelet) takes to
	// terminate the node's pods; ShutdownGracePeriodCriticalPods is its tail, given to critical
	// pods. Both 0 (the default): the kubelet stops and leaves its pods running, to be adopted
	// by the next kubelet.
	ShutdownGracePeriod             time.Duration `mapstructure:"shutdown-grace-period"`
	ShutdownGracePeriodCriticalPods time.Duration `mapstructure:"shutdown-grace-period-critical-pods"`

	// Bootstrap obtains and renews the kubelet's client certificate (--bootstrap-kubeconfig,
	// --cert-dir, --rotate-certificates).
	Bootstrap BootstrapConfig `mapstructure:",squash"`

	// HollowNodes, when positive, runs that many hollow node agents named
	// <HollowNodePrefix>-<i> in this process instead of one real node.
	HollowNodes      int    `mapstructure:"hollow-nodes"`
	HollowNodePrefix string `mapstructure:"hollow-node-prefix"`
}

// DefaultConfig returns the configuration a kubelet runs with when nothing is set.
func DefaultConfig() Config {
	return Config{
		Address:                   "0.0.0.0",
		Port:                      kubeletapi.DefaultPort,
		HealthzBindAddress:        "127.0.0.1",
		HealthzPort:               kubeletapi.DefaultHealthzPort,
		ShutdownTimeout:           10 * time.Second,
		APIClient:                 config.DefaultAPIClient(),
		RegisterNode:              true,
		RegisterWithTaints:        []string{},
		NodeLabels:                []string{},
		SystemReserved:            []string{},
		KubeReserved:              []string{},
		ManifestURLHeader:         []string{},
		MaxPods:                   110,
		NodeStatusUpdateFrequency: 10 * time.Second,
		NodeLeaseDurationSeconds:  40,
		RootDir:                   "/var/lib/kubelet",
		FileCheckFrequency:        podsource.DefaultCheckFrequency,
		HTTPCheckFrequency:        podsource.DefaultCheckFrequency,
		HollowNodePrefix:          "hollow-node",
		Runtime:                   process.RuntimeName,
		PodLogsDir:                pods.DefaultPodLogRoot,
		ContainerLogMaxSize:       "10Mi",
		ContainerLogMaxFiles:      logs.DefaultMaxFiles,
		RelistPeriod:              pods.DefaultRelistPeriod,
		Bootstrap:                 DefaultBootstrapConfig(),
	}
}

// shutdownConfig is the node shutdown's configuration.
func (c Config) shutdownConfig() shutdown.Config {
	return shutdown.Config{GracePeriod: c.ShutdownGracePeriod, CriticalPodsGracePeriod: c.ShutdownGracePeriodCriticalPods}
}

// healthzServing is the health endpoint's serving configuration.
func (c Config) healthzServing() config.Serving {
	return config.Serving{BindAddress: c.HealthzBindAddress, Port: c.HealthzPort, ShutdownTimeout: c.ShutdownTimeout}
}

// apiAddress is where the kubelet API listens.
func (c Config) apiAddress() string { return net.JoinHostPort(c.Address, strconv.Itoa(c.Port)) }

// Validate reports every invalid field, naming its flag.
func (c Config) Validate() error {
	_, nameErr := config.NodeName(c.HostnameOverride)
	errs := []error{
		config.CheckIP("address", c.Address),
		config.CheckPort("port", c.Port),
		config.CheckIP("healthz-bind-address", c.HealthzBindAddress),
		config.CheckPort("healthz-port", c.HealthzPort),
		config.CheckPositive("shutdown-timeout", c.ShutdownTimeout),
		c.APIClient.Validate(), nameErr, c.Bootstrap.Validate(c.Kubeconfig),
		config.CheckPositive("node-status-update-frequency", c.NodeStatusUpdateFrequency),
		config.CheckPositive("file-check-frequency", c.FileCheckFrequency),
		config.CheckPositive("http-check-frequency", c.HTTPCheckFrequency),
	}
	if c.NodeIP != "" {
		errs = append(errs, config.CheckIP("node-ip", c.NodeIP))
	}
	if (c.TLSCertFile == "") != (c.TLSPrivateKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-private-key-file: set both or neither"))
	}
	if c.ClientCAFile != "" && c.TLSCertFile == "" && c.CertDir == "" {
		errs = append(errs, errors.New("--client-ca-file: needs TLS (--tls-cert-file and --tls-private-key-file, or --cert-dir)"))
	}
	if c.MaxPods <= 0 {
		errs = append(errs, fmt.Errorf("--max-pods: must be positive, got %d", c.MaxPods))
	}
	if c.NodeLeaseDurationSeconds <= 0 {
		errs = append(errs, fmt.Errorf("--node-lease-duration-seconds: must be positive, got %d", c.NodeLeaseDurationSeconds))
	}
	if c.Runtime != process.RuntimeName && c.Runtime != hollow.RuntimeName {
		errs = append(errs, fmt.Errorf("--runtime: unknown runtime %q (want %s or %s)", c.Runtime, process.RuntimeName, hollow.RuntimeName))
	}
	if q, err := resource.Parse(c.ContainerLogMaxSize); err != nil || q.Sign() <= 0 {
		errs = append(errs, fmt.Errorf("--container-log-max-size: want a positive quantity such as 10Mi, got %q", c.ContainerLogMaxSize))
	}
	if c.ContainerLogMaxFiles < 2 {
		errs = append(errs, fmt.Errorf("--container-log-max-files: must be at least 2, got %d", c.ContainerLogMaxFiles))
	}
	errs = append(errs, config.CheckPositive("relist-period", c.RelistPeriod))
	if c.PodLogsDir == "" {
		errs = append(errs, errors.New("--pod-logs-dir: must not be empty"))
	}
	errs = append(errs, c.shutdownConfig().Validate())
	if c.HollowNodes < 0 {
		errs = append(errs, fmt.Errorf("--hollow-nodes: must not be negative, got %d", c.HollowNodes))
	}
	_, err := parseLabels(c.NodeLabels)
	errs = append(errs, err)
	_, err = parseTaints(c.RegisterWithTaints)
	errs = append(errs, err)
	_, err = parseReserved("system-reserved", c.SystemReserved)
	errs = append(errs, err)
	_, err = parseReserved("kube-reserved", c.KubeReserved)
	errs = append(errs, err)
	_, err = parseHeaders(c.ManifestURLHeader)
	errs = append(errs, err)
	return errors.Join(errs...)
}

func parseLabels(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--node-labels: %q is not key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

func parseTaints(in []string) ([]*corev1.Taint, error) {
	var out []*corev1.Taint
	for _, s := range in {
		kv, effect, ok := strings.Cut(s, ":")
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			return nil, fmt.Errorf("--register-with-taints: %q is not key[=value]:Effect", s)
		case effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute":
			return nil, fmt.Errorf("--register-with-taints: %q: effect must be NoSchedule, PreferNoSchedule or NoExecute", s)
		}
		out = append(out, &corev1.Taint{Key: k, Value: v, Effect: effect})
	}
	return out, nil
}

func parseReserved(flag string, in []string) (resource.List, error) {
	out := resource.List{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s: %q is not name=quantity", flag, kv)
		}
		q, err := resource.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("--%s: %s: %w", flag, k, err)
		}
		out[k] = q
	}
	return out, nil
}

func parseHeaders(in []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--manifest-url-header: %q is not Key:Value", kv)
		}
		k = strings.TrimSpace(k)
		out[k] = append(out[k], strings.TrimSpace(v))
	}
	return out, nil
}
