package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/test/framework"
)

// Cluster is the HA control plane of the chaos test, every part a built binary or Debian's
// etcd and HAProxy, on 127.0.0.1 with dynamic ports.
type Cluster struct {
	tb  testing.TB
	bin string
	dir string

	// Etcd are the three members; EtcdURLs their client URLs, in the same order.
	Etcd     []*Process
	EtcdURLs []string
	// APIServers are the three replicas; APIEndpoints their host:port addresses.
	APIServers   []*Process
	APIEndpoints []string
	// HAProxy balances over the apiservers at HAProxyAddr with the shipped configuration.
	HAProxy     *Process
	HAProxyAddr string
	// Schedulers and ControllerManagers are two leader-elected replicas each, run with the
	// shipped leader election defaults.
	Schedulers         []*Process
	ControllerManagers []*Process
	// PKI is the cluster's CA, certificates and kubeconfigs, written by keelson-pki: the
	// apiservers serve TLS and verify client certificates against its CA, and every daemon and
	// client has an identity of its own, authorized by Node and RBAC.
	PKI *clusterpki.Cluster

	etcdClient *clientv3.Client
	// readyz asks the apiservers' /readyz over TLS, verifying them against the cluster CA.
	readyz *http.Client
}

// kubeletNode is the name and node IP of one of the cluster's kubelets.
type kubeletNode struct{ name, ip string }

// kubeletNodes returns the cluster's two kubelets.
func kubeletNodes() []kubeletNode {
	return []kubeletNode{{"chaos-node-0", "127.0.97.1"}, {"chaos-node-1", "127.0.97.2"}}
}

// StartCluster starts the cluster and waits until every part is ready: etcd has a leader, every
// apiserver answers /readyz, HAProxy listens, both kubelets' nodes are registered. Everything
// stops, and the kubelets' cgroups are removed, when the test ends.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	root := framework.RepoRoot()
	c := &Cluster{tb: tb, bin: filepath.Join(root, "bin"), dir: tb.TempDir()}
	// Registered first, so it runs last: once every process stopped, before the logs go.
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, p := range c.Processes() {
				tb.Logf("%s: the log ends:\n%s", p.Name, p.Tail(40))
			}
		}
	})
	for _, d := range []string{"apiserver", "scheduler", "controller-manager", "kubelet", "pki"} {
		if _, err := os.Stat(filepath.Join(c.bin, "keelson-"+d)); err != nil {
			tb.Fatalf("bin/keelson-%s is missing: run `make build`", d)
		}
	}
	c.startEtcd(root)
	c.reserveAPIEndpoints()
	c.generatePKI()
	c.startAPIServers()
	c.startHAProxy(filepath.Join(root, "deploy", "haproxy", "haproxy.cfg"))
	for i := range 2 {
		c.Schedulers = append(c.Schedulers, c.daemon(fmt.Sprintf("scheduler-%d", i), "scheduler", clusterpki.SchedulerName))
		c.ControllerManagers = append(c.ControllerManagers, c.daemon(fmt.Sprintf("controller-manager-%d", i), "controller-manager",
			clusterpki.ControllerManagerName,
			"--service-account-private-key-file", c.PKI.ServiceAccountKeyFile(), "--root-ca-file", c.PKI.CertFile(clusterpki.CAName)))
	}
	for _, n := range kubeletNodes() {
		// The node's serving certificate names its node IP, where the apiserver reaches it.
		cert, key := framework.IssueKubeletServing(tb, c.PKI, n.name, n.ip)
		k := framework.StartKubeletProcess(tb, filepath.Join(c.bin, "keelson-kubelet"), c.APIEndpoints,
			framework.KubeletOptions{NodeName: n.name, NodeIP: n.ip},
			"--kubeconfig", c.PKI.Kubeconfig(clusterpki.KubeletName(n.name)),
			"--tls-cert-file", cert, "--tls-private-key-file", key,
			"--client-ca-file", c.PKI.CertFile(clusterpki.CAName), "--log-level", "info")
		c.tailOnFailure(n.name, k)
	}
	return c
}

// tailOnFailure logs the end of kubelet k's log if the test fails. It runs before the kubelet
// stops and its directory, log included, is removed.
func (c *Cluster) tailOnFailure(name string, k *framework.KubeletProcess) {
	f, ok := k.Cmd.Stdout.(*os.File)
	if !ok {
		return
	}
	log := &Process{Name: "kubelet " + name, logPath: f.Name()}
	c.tb.Cleanup(func() {
		if c.tb.Failed() {
			c.tb.Logf("%s: the log ends:\n%s", log.Name, log.Tail(40))
		}
	})
}

// reserveAPIEndpoints picks the apiservers' and HAProxy's addresses, which the certificates and
// kubeconfigs name.
func (c *Cluster) reserveAPIEndpoints() {
	c.tb.Helper()
	for range 3 {
		c.APIEndpoints = append(c.APIEndpoints, fmt.Sprintf("127.0.0.1:%d", c.freePort()))
	}
	c.HAProxyAddr = fmt.Sprintf("127.0.0.1:%d", c.freePort())
}

// generatePKI writes the cluster's PKI with the built keelson-pki, as `make run` does: the
// kubeconfigs name every apiserver, the serving certificate covers loopback (where the apiservers
// and HAProxy listen), and each kubelet gets a client certificate and kubeconfig of its node.
func (c *Cluster) generatePKI() {
	c.tb.Helper()
	servers := make([]string, 0, len(c.APIEndpoints))
	for _, ep := range c.APIEndpoints {
		servers = append(servers, "https://"+ep)
	}
	nodes := make([]string, 0, len(kubeletNodes()))
	for _, n := range kubeletNodes() {
		nodes = append(nodes, n.name)
	}
	c.PKI = framework.GeneratePKI(c.tb, filepath.Join(c.bin, "keelson-pki"), clusterpki.Spec{
		Dir: filepath.Join(c.dir, "pki"), KubeconfigDir: c.dir, Server: strings.Join(servers, ","),
		ServiceCIDR: serviceClusterIPRange, ExtraSANs: []string{"127.0.0.1"}, Nodes: nodes,
	})
	cfg := c.clientConfig(c.APIEndpoints...)
	c.readyz = &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: cfg.TLS}}
	c.tb.Cleanup(c.readyz.CloseIdleConnections)
}

// freePort returns a loopback port nothing listens on right now.
func (c *Cluster) freePort() int {
	c.tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.tb.Fatalf("free port: %v", err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// shippedEtcdTiming reads the heartbeat interval and election timeout (milliseconds) the shipped
// etcd env file (deploy/systemd/env/etcd.env) sets.
func shippedEtcdTiming(tb testing.TB, root string) (heartbeat, election string) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "systemd", "env", "etcd.env"))
	if err != nil {
		tb.Fatalf("read the shipped etcd env file: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ETCD_HEARTBEAT_INTERVAL="); ok {
			heartbeat = v
		}
		if v, ok := strings.CutPrefix(line, "ETCD_ELECTION_TIMEOUT="); ok {
			election = v
		}
	}
	if heartbeat == "" || election == "" {
		tb.Fatalf("the shipped etcd env file sets no ETCD_HEARTBEAT_INTERVAL or ETCD_ELECTION_TIMEOUT")
	}
	return heartbeat, election
}

// startEtcd starts three etcd members and waits until they elected a leader. Peers and clients
// speak plain text on 127.0.0.1: the test exercises failover, not etcd's TLS, which the
// apiserver's --etcd-cafile tests cover. Heartbeat and election timeout are the shipped ones.
func (c *Cluster) startEtcd(root string) {
	c.tb.Helper()
	const members = 3
	heartbeat, election := shippedEtcdTiming(c.tb, root)
	var peers, initial []string
	for i := range members {
		peers = append(peers, fmt.Sprintf("http://127.0.0.1:%d", c.freePort()))
		c.EtcdURLs = append(c.EtcdURLs, fmt.Sprintf("http://127.0.0.1:%d", c.freePort()))
		initial = append(initial, fmt.Sprintf("etcd-%d=%s", i, peers[i]))
	}
	for i := range members {
		name := fmt.Sprintf("etcd-%d", i)
		p := newProcess(c.tb, name, filepath.Join(c.dir, name+".log"), "etcd",
			"--name", name, "--data-dir", filepath.Join(c.dir, name),
			"--listen-client-urls", c.EtcdURLs[i], "--advertise-client-urls", c.EtcdURLs[i],
			"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", peers[i],
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-token", "keelson-chaos",
			"--initial-cluster-state", "new", "--heartbeat-interval", heartbeat, "--election-timeout", election,
			"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn")
		p.stopsBySignal = true
		p.Start()
		c.Etcd = append(c.Etcd, p)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.EtcdURLs, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		c.tb.Fatalf("etcd client: %v", err)
	}
	c.tb.Cleanup(func() { _ = cli.Close() })
	c.etcdClient = cli
	framework.Eventually(c.tb, 60*time.Second, func() bool {
		_, ok := c.EtcdLeader(context.Background(), -1)
		return ok
	}, "the etcd members elect a leader")
}

// EtcdClient returns a client of every etcd member.
func (c *Cluster) EtcdClient() *clientv3.Client { return c.etcdClient }

// EtcdLeader returns the index of the etcd leader as every running member but skip reports it
// (skip -1: none skipped), and false while they do not agree or cannot say.
func (c *Cluster) EtcdLeader(ctx context.Context, skip int) (int, bool) {
	ids := make([]uint64, len(c.Etcd))
	leader := uint64(0)
	for i, url := range c.EtcdURLs {
		if i == skip {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		st, err := c.etcdClient.Status(sctx, url)
		cancel()
		if err != nil || st.Leader == 0 || (leader != 0 && st.Leader != leader) {
			return 0, false
		}
		leader, ids[i] = st.Leader, st.Header.GetMemberId()
	}
	for i, id := range ids {
		if id == leader {
			return i, true
		}
	}
	return 0, false
}

// serviceClusterIPRange is the apiservers' service range, a loopback one.
const serviceClusterIPRange = "127.96.0.0/16"

// startAPIServers starts three apiservers on the etcd cluster, secured as the shipped systemd
// units are (deploy/systemd/env/apiserver.env), and waits until each is ready. Every security
// setting is a flag, so that none rests on the binary's defaults.
func (c *Cluster) startAPIServers() {
	c.tb.Helper()
	p := c.PKI
	for i, addr := range c.APIEndpoints {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			c.tb.Fatalf("apiserver %d address: %v", i, err)
		}
		name := fmt.Sprintf("apiserver-%d", i)
		c.APIServers = append(c.APIServers, newProcess(c.tb, name, filepath.Join(c.dir, name+".log"), filepath.Join(c.bin, "keelson-apiserver"),
			"--bind-address", "127.0.0.1", "--port", port, "--insecure-port", "-1",
			"--etcd-servers", strings.Join(c.EtcdURLs, ","),
			"--tls-cert-file", p.CertFile(clusterpki.APIServerName), "--tls-private-key-file", p.KeyFile(clusterpki.APIServerName),
			"--client-ca-file", p.CertFile(clusterpki.CAName),
			"--kubelet-certificate-authority", p.CertFile(clusterpki.CAName),
			"--kubelet-client-certificate", p.CertFile(clusterpki.APIServerClientName),
			"--kubelet-client-key", p.KeyFile(clusterpki.APIServerClientName),
			"--service-account-key-file", p.ServiceAccountPublicKeyFile(),
			"--service-account-signing-key-file", p.ServiceAccountKeyFile(),
			"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
			// HAProxy's checks ask /readyz without a certificate.
			"--authorization-mode", "Node,RBAC", "--anonymous-auth=true",
			"--service-cluster-ip-range", serviceClusterIPRange, "--log-level", "warn"))
	}
	for _, p := range c.APIServers {
		p.Start()
	}
	for i := range c.APIServers {
		c.WaitAPIServerReady(i)
	}
}

// WaitAPIServerReady waits until apiserver i answers /readyz over TLS with a certificate the
// cluster CA signed.
func (c *Cluster) WaitAPIServerReady(i int) {
	c.tb.Helper()
	url := "https://" + c.APIEndpoints[i] + "/readyz"
	c.APIServers[i].Running().WaitFor(60*time.Second, func() bool {
		resp, err := c.readyz.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "%s answers 200", url)
}

// startHAProxy starts HAProxy with the shipped configuration in front of the apiservers, its
// checks verifying them against the cluster CA.
func (c *Cluster) startHAProxy(shipped string) {
	c.tb.Helper()
	cfgPath := filepath.Join(c.dir, "haproxy.cfg")
	cfg := framework.HAProxyConfig(c.tb, shipped, c.HAProxyAddr, c.APIEndpoints, c.PKI.CertFile(clusterpki.CAName))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		c.tb.Fatalf("haproxy config: %v", err)
	}
	logPath := filepath.Join(c.dir, "haproxy.log")
	c.HAProxy = &Process{Name: "haproxy", tb: c.tb, logPath: logPath,
		newCmd: func() *framework.Command { return framework.HAProxyCommand(c.tb, cfgPath, logPath) }}
	c.StartHAProxy()
}

// StartHAProxy (re)starts HAProxy and waits until it listens.
func (c *Cluster) StartHAProxy() {
	c.tb.Helper()
	c.HAProxy.Start()
	c.HAProxy.Running().WaitListening(c.HAProxyAddr, 10*time.Second)
}

// daemon starts bin/keelson-<binary> against every apiserver as the identity of its kubeconfig
// (clusterpki's component name), then args, with its health port dynamic and plain text, its
// leader election as shipped, and info-level logs (they name the identity that starts leading).
func (c *Cluster) daemon(name, binary, identity string, args ...string) *Process {
	c.tb.Helper()
	port := c.freePort()
	p := newProcess(c.tb, name, filepath.Join(c.dir, name+".log"), filepath.Join(c.bin, "keelson-"+binary),
		append([]string{"--kubeconfig", c.PKI.Kubeconfig(identity), "--apiserver", strings.Join(c.APIEndpoints, ","),
			"--port", strconv.Itoa(port), "--log-level", "info"}, args...)...)
	p.Start()
	p.Running().WaitHealthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", port), 60*time.Second)
	return p
}

// Client returns a client of the given endpoints as the admin, over TLS, closed when the test
// ends.
func (c *Cluster) Client(endpoints ...string) *client.Client {
	c.tb.Helper()
	cfg := c.clientConfig(endpoints...)
	cfg.Logger = zap.NewNop()
	cl, err := client.New(cfg)
	if err != nil {
		c.tb.Fatalf("client: %v", err)
	}
	c.tb.Cleanup(func() { _ = cl.Close() })
	return cl
}

// clientConfig is the admin's client configuration, read from its kubeconfig, for endpoints.
func (c *Cluster) clientConfig(endpoints ...string) client.Config {
	c.tb.Helper()
	cfg, err := config.APIClient{Kubeconfig: c.PKI.Kubeconfig(clusterpki.AdminName), APIServers: endpoints}.ClientConfig()
	if err != nil {
		c.tb.Fatalf("admin kubeconfig: %v", err)
	}
	return cfg
}

// LeaseHolder returns the holder of the Lease kube-system/name, "" when it cannot be read or is
// free.
func LeaseHolder(ctx context.Context, cl *client.Client, name string) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	l, err := cl.Leases("kube-system").Get(ctx, name)
	if err != nil {
		return ""
	}
	return l.GetSpec().GetHolderIdentity()
}

// Leading returns the replica among ps whose log says it started leading as identity.
func Leading(ps []*Process, identity string) (*Process, bool) {
	for _, p := range ps {
		for _, line := range strings.Split(p.Log(), "\n") {
			if strings.Contains(line, "started leading") && strings.Contains(line, identity) {
				return p, true
			}
		}
	}
	return nil, false
}

// Processes returns every supervised process of the cluster.
func (c *Cluster) Processes() []*Process {
	var ps []*Process
	ps = append(ps, c.Etcd...)
	ps = append(ps, c.APIServers...)
	if c.HAProxy != nil {
		ps = append(ps, c.HAProxy)
	}
	ps = append(ps, c.Schedulers...)
	return append(ps, c.ControllerManagers...)
}
