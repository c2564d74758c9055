package framework

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// KubeletOptions shape an in-process kubelet.
type KubeletOptions struct {
	// NodeName is the node's name (default: kubelet-<n>, unique in the cluster).
	NodeName string
	// NodeIP is the node's InternalIP (default: a 127.x address unique in the cluster).
	NodeIP string
	// Runtime is the container runtime (default process: real host processes in cgroups under a
	// cgroup root of the test's own, killed and removed when the test ends).
	Runtime string
	// Configure adjusts the configuration after the test defaults are applied.
	Configure func(*server.Config)
	// Prepare, when set, is called with the kubelet before it runs (UseCertificateClock, ...).
	Prepare func(*server.Server)
}

// Kubelet is a keelson-kubelet running in-process.
type Kubelet struct {
	*Running
	Server *server.Server
	// Config is the configuration the kubelet runs with; starting another kubelet with it (a
	// restart) finds the same state, logs and cgroups.
	Config server.Config
	// cluster is the cluster the kubelet belongs to.
	cluster *Cluster

	// apiOnce makes apiTransport (or apiErr) at HTTPClient's first call over TLS, so that the
	// apiserver's client key pair is read from disk once and connections are reused.
	apiOnce      sync.Once
	apiTransport *http.Transport
	apiErr       error
}

// StartKubelet runs a kubelet against the cluster's apiservers and waits until its health endpoint
// and API are up. It serves its API on a 127.x node IP and its health on 127.0.0.1, both on
// dynamic ports, with the process runtime unless opts say otherwise, and uses short intervals so tests run fast: node status every second, a 4s Lease
// renewed every second, manifest directory and URL read every second. It logs to the test at info
// level and stops when the test ends (see Start).
func StartKubelet(tb testing.TB, c *Cluster, opts KubeletOptions) *Kubelet {
	tb.Helper()
	n := c.kubelets.Add(1)
	if opts.NodeName == "" {
		opts.NodeName = fmt.Sprintf("kubelet-%d", n)
	}
	if opts.NodeIP == "" {
		opts.NodeIP = fmt.Sprintf("127.0.%d.%d", 100+n/250, 1+n%250)
	}
	cfg := server.DefaultConfig()
	// The kubelet API listens on the node IP, where the apiserver proxies pods/log to.
	cfg.Address, cfg.Port = opts.NodeIP, 0
	cfg.HealthzBindAddress, cfg.HealthzPort = "127.0.0.1", 0
	cfg.APIServers = c.Endpoints()
	cfg.HostnameOverride = opts.NodeName
	cfg.NodeIP = opts.NodeIP
	cfg.RootDir = tb.TempDir()
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.NodeStatusUpdateFrequency = time.Second
	cfg.NodeLeaseDurationSeconds = 4
	cfg.FileCheckFrequency = time.Second
	cfg.HTTPCheckFrequency = time.Second
	cfg.RelistPeriod = 100 * time.Millisecond
	cfg.PodLogsDir = filepath.Join(cfg.RootDir, "pods")
	if opts.Runtime != "" {
		cfg.Runtime = opts.Runtime
	}
	if cfg.Runtime == server.RuntimeProcess {
		cfg.CgroupRoot = fmt.Sprintf("keelson-test-%d-%s", os.Getpid(), opts.NodeName)
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	if c.pki != nil {
		kt := kubeletTLSFiles{NodeName: opts.NodeName, NodeIP: opts.NodeIP, Hollow: cfg.HollowNodes > 0}
		c.kubeletTLS(tb, &kt, tb.TempDir())
		if cfg.Bootstrap.BootstrapKubeconfig == "" {
			// A kubelet that bootstraps gets its client certificate through a CSR instead.
			cfg.Kubeconfig = kt.Kubeconfig
		}
		cfg.TLSCertFile, cfg.TLSPrivateKeyFile, cfg.ClientCAFile = kt.CertFile, kt.KeyFile, kt.ClientCAFile
	}
	if cfg.Runtime == server.RuntimeProcess {
		root := cfg.CgroupRoot
		tb.Cleanup(func() { removeCgroupTree(tb, root) })
	}
	srv, err := server.New(cfg, zaptest.NewLogger(tb, zaptest.Level(zap.InfoLevel)).Named("kubelet"))
	if err != nil {
		tb.Fatalf("kubelet: %v", err)
	}
	if opts.Prepare != nil {
		opts.Prepare(srv)
	}
	k := &Kubelet{Running: Start(tb, srv), Server: srv, Config: cfg, cluster: c}
	k.WaitFor(30*time.Second, func() bool { return srv.Addr() != nil && srv.APIAddr() != nil }, "kubelet endpoints up")
	return k
}

// URL returns the base URL of the kubelet API, http://<node IP>:<port>, or https:// when it
// serves TLS (a cluster without Options.PlainText).
func (k *Kubelet) URL() string {
	if k.Config.TLSCertFile != "" {
		return "https://" + k.Server.APIAddr().String()
	}
	return "http://" + k.Server.APIAddr().String()
}

// HTTPClient returns a client of the kubelet API (URL): over TLS it trusts the cluster CA and
// presents the apiserver's client certificate, as the apiserver does when it proxies logs. The
// key pair is read at the first call; every client shares one transport, whose idle connections
// are closed when the kubelet's test ends. It is safe to call concurrently; each call returns a
// client of its own, which the caller may change.
func (k *Kubelet) HTTPClient(tb testing.TB) *http.Client {
	tb.Helper()
	p := k.cluster.pki
	if k.Config.TLSCertFile == "" || p == nil {
		return &http.Client{}
	}
	k.apiOnce.Do(func() {
		cert, err := tls.LoadX509KeyPair(p.CertFile(clusterpki.APIServerClientName), p.KeyFile(clusterpki.APIServerClientName))
		if err != nil {
			k.apiErr = fmt.Errorf("the apiserver's kubelet client certificate: %w", err)
			return
		}
		k.apiTransport = &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: p.CA.Pool(), Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		}}
		k.Running.tb.Cleanup(k.apiTransport.CloseIdleConnections)
	})
	if k.apiErr != nil {
		tb.Fatalf("%v", k.apiErr)
	}
	return &http.Client{Transport: k.apiTransport}
}

// DesiredPods returns the node's desired pod set as the kubelet last merged it from its sources.
func (k *Kubelet) DesiredPods() []*corev1.Pod { return k.Server.DesiredPods(k.Server.NodeName()) }

// KubeletProcess is a built keelson-kubelet running as its own process, so that its memory and
// CPU can be read from /proc.
type KubeletProcess struct {
	*Running
	// Cmd is the running program; Cmd.Process.Pid is its process ID.
	Cmd *exec.Cmd
	// NodeName and NodeIP are the node's (the name prefix, for hollow nodes).
	NodeName, NodeIP string
}

// StartKubeletProcess runs binary (a built keelson-kubelet) against endpoints with the test
// settings StartKubelet uses (dynamic ports on a 127.x node IP, a state directory, log directory
// and cgroup root of the test's own, short status and lease periods), then args, which may
// override them. Against a secure test cluster it runs as system:node:<name> (hollow nodes: as the
// admin) and serves its API over TLS. Its output goes to a file in the test's temporary directory. It stops with
// SIGTERM when the test ends; the cgroup tree is removed after it.
func StartKubeletProcess(tb testing.TB, binary string, endpoints []string, opts KubeletOptions, args ...string) *KubeletProcess {
	tb.Helper()
	if opts.NodeName == "" {
		opts.NodeName = "kubelet-process"
	}
	if opts.NodeIP == "" {
		opts.NodeIP = "127.0.99.1"
	}
	root := tb.TempDir()
	cgroupRoot := fmt.Sprintf("keelson-test-%d-%s", os.Getpid(), opts.NodeName)
	tb.Cleanup(func() { removeCgroupTree(tb, cgroupRoot) })
	full := []string{
		"--apiserver", strings.Join(endpoints, ","),
		"--hostname-override", opts.NodeName, "--node-ip", opts.NodeIP,
		"--address", opts.NodeIP, "--port", "0", "--healthz-bind-address", "127.0.0.1", "--healthz-port", "0",
		"--root-dir", root, "--pod-logs-dir", filepath.Join(root, "pods"), "--cgroup-root", cgroupRoot,
		"--node-status-update-frequency", "1s", "--node-lease-duration-seconds", "4",
		"--relist-period", "100ms", "--log-level", "warn",
	}
	if opts.Runtime != "" {
		full = append(full, "--runtime", opts.Runtime)
	}
	if c := secureClusterOf(endpoints); c != nil {
		kt := kubeletTLSFiles{NodeName: opts.NodeName, NodeIP: opts.NodeIP, Hollow: slices.ContainsFunc(args, func(a string) bool {
			return strings.HasPrefix(a, "--hollow-nodes")
		})}
		c.kubeletTLS(tb, &kt, tb.TempDir())
		full = append(full, "--kubeconfig", kt.Kubeconfig,
			"--tls-cert-file", kt.CertFile, "--tls-private-key-file", kt.KeyFile, "--client-ca-file", kt.ClientCAFile)
	}
	cmd := exec.Command(binary, append(full, args...)...)
	logf, err := os.Create(filepath.Join(root, "kubelet.log"))
	if err != nil {
		tb.Fatalf("kubelet log: %v", err)
	}
	tb.Cleanup(func() { _ = logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	return &KubeletProcess{Running: Start(tb, &Command{Cmd: cmd}), Cmd: cmd, NodeName: opts.NodeName, NodeIP: opts.NodeIP}
}
