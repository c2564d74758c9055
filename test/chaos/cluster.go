package chaos

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
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

	etcdClient *clientv3.Client
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
	for _, d := range []string{"apiserver", "scheduler", "controller-manager", "kubelet"} {
		if _, err := os.Stat(filepath.Join(c.bin, "keelson-"+d)); err != nil {
			tb.Fatalf("bin/keelson-%s is missing: run `make build`", d)
		}
	}
	c.startEtcd(root)
	c.startAPIServers()
	c.startHAProxy(filepath.Join(root, "deploy", "haproxy", "haproxy.cfg"))
	for i := range 2 {
		c.Schedulers = append(c.Schedulers, c.daemon(fmt.Sprintf("scheduler-%d", i), "scheduler"))
		c.ControllerManagers = append(c.ControllerManagers, c.daemon(fmt.Sprintf("controller-manager-%d", i), "controller-manager"))
	}
	for i := range 2 {
		framework.StartKubeletProcess(tb, filepath.Join(c.bin, "keelson-kubelet"), c.APIEndpoints,
			framework.KubeletOptions{NodeName: fmt.Sprintf("chaos-node-%d", i), NodeIP: fmt.Sprintf("127.0.97.%d", i+1)})
	}
	return c
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

// startAPIServers starts three apiservers on the etcd cluster and waits until each is ready.
func (c *Cluster) startAPIServers() {
	c.tb.Helper()
	for i := range 3 {
		port := c.freePort()
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		name := fmt.Sprintf("apiserver-%d", i)
		p := newProcess(c.tb, name, filepath.Join(c.dir, name+".log"), filepath.Join(c.bin, "keelson-apiserver"),
			"--bind-address", "127.0.0.1", "--port", strconv.Itoa(port),
			"--etcd-servers", strings.Join(c.EtcdURLs, ","),
			"--service-cluster-ip-range", "127.96.0.0/16", "--log-level", "warn")
		c.APIServers = append(c.APIServers, p)
		c.APIEndpoints = append(c.APIEndpoints, addr)
	}
	for _, p := range c.APIServers {
		p.Start()
	}
	for i := range c.APIServers {
		c.WaitAPIServerReady(i)
	}
}

// WaitAPIServerReady waits until apiserver i answers /readyz.
func (c *Cluster) WaitAPIServerReady(i int) {
	c.tb.Helper()
	c.APIServers[i].Running().WaitHealthy("http://"+c.APIEndpoints[i]+"/readyz", 60*time.Second)
}

// startHAProxy starts HAProxy with the shipped configuration in front of the apiservers.
func (c *Cluster) startHAProxy(shipped string) {
	c.tb.Helper()
	c.HAProxyAddr = fmt.Sprintf("127.0.0.1:%d", c.freePort())
	cfgPath := filepath.Join(c.dir, "haproxy.cfg")
	cfg := framework.HAProxyConfig(c.tb, shipped, c.HAProxyAddr, c.APIEndpoints)
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

// daemon starts bin/keelson-<binary> against every apiserver, with its health port dynamic, its
// leader election as shipped, and info-level logs (they name the identity that starts leading).
func (c *Cluster) daemon(name, binary string) *Process {
	c.tb.Helper()
	port := c.freePort()
	p := newProcess(c.tb, name, filepath.Join(c.dir, name+".log"), filepath.Join(c.bin, "keelson-"+binary),
		"--apiserver", strings.Join(c.APIEndpoints, ","), "--port", strconv.Itoa(port), "--log-level", "info")
	p.Start()
	p.Running().WaitHealthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", port), 60*time.Second)
	return p
}

// Client returns a client of the given endpoints, closed when the test ends.
func (c *Cluster) Client(endpoints ...string) *client.Client {
	c.tb.Helper()
	cl, err := client.New(client.Config{Endpoints: endpoints, Logger: zap.NewNop()})
	if err != nil {
		c.tb.Fatalf("client: %v", err)
	}
	c.tb.Cleanup(func() { _ = cl.Close() })
	return cl
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
