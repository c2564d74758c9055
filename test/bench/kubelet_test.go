package bench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// The kubelet benchmarks' workloads and bounds.
const (
	startupPods    = 200
	startupRate    = 20 // pods created per second
	startupTimeout = 2 * time.Minute
	rssPods        = 100
	scaleNodes     = 5000
	scaleWindow    = 30 * time.Second
	// scaleServiceCIDR is the service range of the benchmark's apiserver: on loopback, although
	// no traffic goes to it.
	scaleServiceCIDR = "127.96.0.0/16"
	scaleTimeout     = 5 * time.Minute
)

// builtBinary returns bin/keelson-<name> of this repository, failing unless `make build` (which
// `make bench` runs first) has made it.
func builtBinary(b *testing.B, name string) string {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "bin", "keelson-"+name)
	if _, err := os.Stat(path); err != nil {
		b.Fatalf("%s is missing: run `make build` (make bench does)", path)
	}
	return path
}

// procStatusKiB reads a "<field>: <n> kB" line of /proc/<pid>/status.
func procStatusKiB(b *testing.B, pid int, field string) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read status of process %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("parse %s of process %d: %v", field, pid, err)
			}
			return n
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// clockTicks is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuTime reads the user plus system CPU time a process has used from /proc/<pid>/stat.
func cpuTime(b *testing.B, pid int) time.Duration {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("read stat of process %d: %v", pid, err)
	}
	// The command name, in parentheses, may hold spaces: count fields after its closing one.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	// utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("parse CPU times of process %d: %v %v", pid, err1, err2)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// readyNodes counts the nodes whose Ready condition is True, and all nodes.
func readyNodes(ctx context.Context, c *client.Client) (ready, all int) {
	list, err := c.Nodes().List(ctx, client.ListOptions{})
	if err != nil {
		return -1, -1
	}
	for _, n := range list.Items {
		for _, cond := range n.GetStatus().GetConditions() {
			if cond.GetType() == "Ready" && cond.GetStatus() == "True" {
				ready++
			}
		}
	}
	return ready, len(list.Items)
}

// waitReady waits until n nodes are Ready, failing after timeout.
func waitReady(ctx context.Context, b *testing.B, c *client.Client, n int, timeout time.Duration) {
	b.Helper()
	var ready, all int
	if !framework.Poll(timeout, time.Second, func() bool { ready, all = readyNodes(ctx, c); return ready >= n }) {
		b.Fatalf("only %d of %d nodes Ready (%d registered) after %s", ready, n, all, timeout)
	}
}

// sleepPod is a pod bound to node whose one container sleeps for an hour.
func sleepPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &corev1.PodSpec{NodeName: node, Containers: []*corev1.Container{{
			Name: "main", Image: "sleep", Command: []string{"sleep", "3600"},
		}}},
	}
}

// followRunning records, for every pod of node, when a watch first showed it Running, until ctx
// ends.
func followRunning(ctx context.Context, c *client.Client, node string, mu *sync.Mutex, running map[string]time.Time) error {
	w, err := c.Pods("default").Watch(ctx, client.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.Events() {
		if ev.Type == client.Bookmark || ev.Object.GetStatus().GetPhase() != "Running" {
			continue
		}
		now := time.Now()
		mu.Lock()
		if _, seen := running[ev.Object.GetMetadata().GetName()]; !seen {
			running[ev.Object.GetMetadata().GetName()] = now
		}
		mu.Unlock()
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.Err()
}

// startupLatencies creates n pods bound to node at rate per second and returns, sorted, each one's
// time from its create call to the watch showing it Running; a pod not Running within
// startupTimeout fails the benchmark and counts as startupTimeout.
func startupLatencies(ctx context.Context, b *testing.B, c *client.Client, node, prefix string, n, rate int) []time.Duration {
	b.Helper()
	var mu sync.Mutex
	running := map[string]time.Time{}
	created := map[string]time.Time{}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	watched := make(chan error, 1)
	go func() { watched <- followRunning(wctx, c, node, &mu, running) }()

	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := range n {
		<-tick.C
		name := fmt.Sprintf("%s-%03d", prefix, i)
		mu.Lock()
		created[name] = time.Now()
		mu.Unlock()
		if _, err := c.Pods("default").Create(ctx, sleepPod(name, node)); err != nil {
			b.Fatalf("create pod %s: %v", name, err)
		}
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(running) }
	if !framework.Poll(startupTimeout, 50*time.Millisecond, func() bool { return count() >= n }) {
		// The figures still say how far it got; a pod that never ran counts at the bound.
		b.Errorf("only %d of %d pods on %s Running after %s", count(), n, node, startupTimeout)
	}
	stop()
	if err := <-watched; err != nil {
		b.Fatalf("watch pods of %s: %v", node, err)
	}
	mu.Lock()
	defer mu.Unlock()
	out := make([]time.Duration, 0, n)
	for name, t := range created {
		at, ok := running[name]
		if !ok {
			out = append(out, startupTimeout)
			continue
		}
		out = append(out, at.Sub(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// startKubeletBinary runs bin/keelson-kubelet for one node against the cluster. Its pods are
// terminated when it stops (a node shutdown), so that none outlives the benchmark.
func startKubeletBinary(b *testing.B, cl *framework.Cluster, node, ip, rt string) *framework.KubeletProcess {
	b.Helper()
	return framework.StartKubeletProcess(b, builtBinary(b, "kubelet"), cl.Endpoints(),
		framework.KubeletOptions{NodeName: node, NodeIP: ip, Runtime: rt},
		"--max-pods", "250", "--shutdown-grace-period", "20s", "--shutdown-grace-period-critical-pods", "5s")
}

// BenchmarkKubeletPodStartup measures pod startup latency on one node, from the create call to the
// pod showing Running on a watch: 200 pods bound to the node, created at 20 pods/s, run by
// keelson-kubelet (its own process) with the process runtime; target p99 ≤ 0.5s. The same run
// measures the same pods on a kubelet with the hollow runtime, which starts nothing, as the
// baseline of what the API round trips and the pod workers cost; the ratio is what running real
// processes in cgroups adds.
func BenchmarkKubeletPodStartup(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*startupTimeout+time.Minute)
	defer cancel()
	cl := framework.StartCluster(b, framework.Options{})
	c := cl.Client()
	startKubeletBinary(b, cl, "bench-process", "127.0.98.1", "process")
	startKubeletBinary(b, cl, "bench-hollow", "127.0.98.2", "hollow")
	waitReady(ctx, b, c, 2, time.Minute)

	hollow := startupLatencies(ctx, b, c, "bench-hollow", "hollow", startupPods, startupRate)
	process := startupLatencies(ctx, b, c, "bench-process", "process", startupPods, startupRate)
	p50, p99 := quantile(process, 0.5), quantile(process, 0.99)
	h50, h99 := quantile(hollow, 0.5), quantile(hollow, 0.99)
	b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
	b.ReportMetric(float64(p99)/float64(max(h99, time.Millisecond)), "p99/hollow-p99")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("pod startup, %d pods at %d/s on one node, create to Running: process runtime p50 %s p99 %s (target p99 <= 500ms)\n",
		startupPods, startupRate, p50.Round(time.Millisecond), p99.Round(time.Millisecond))
	fmt.Printf("  same-run baseline, hollow runtime: p50 %s p99 %s; process/hollow: p50 x%.1f, p99 x%.1f\n",
		h50.Round(time.Millisecond), h99.Round(time.Millisecond),
		float64(p50)/float64(max(h50, time.Millisecond)), float64(p99)/float64(max(h99, time.Millisecond)))
}

// BenchmarkKubeletRSS measures keelson-kubelet's resident memory (VmRSS, its own process; the
// containers' monitors are separate processes) idle on a Ready node and with 100 running pods of
// the process runtime; target ≤ 50 MB.
func BenchmarkKubeletRSS(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), startupTimeout+time.Minute)
	defer cancel()
	cl := framework.StartCluster(b, framework.Options{})
	c := cl.Client()
	k := startKubeletBinary(b, cl, "bench-rss", "127.0.98.3", "process")
	waitReady(ctx, b, c, 1, time.Minute)
	pid := k.Cmd.Process.Pid
	// Let the first status posts and informer syncs settle.
	measureWindow(ctx, 3*time.Second)
	idle := procStatusKiB(b, pid, "VmRSS")
	startupLatencies(ctx, b, c, "bench-rss", "rss", rssPods, 50)
	loaded := procStatusKiB(b, pid, "VmRSS")
	b.ReportMetric(float64(idle)/1024, "idle-MiB")
	b.ReportMetric(float64(loaded)/1024, "100pods-MiB")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("keelson-kubelet RSS: idle %.1f MiB, with %d running pods %.1f MiB (target <= 50 MB)\n",
		float64(idle)/1024, rssPods, float64(loaded)/1024)
}

// measureWindow lets d pass (or ctx end) while a measurement runs.
func measureWindow(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// freeLoopbackPort returns a TCP port free on 127.0.0.1 just now.
func freeLoopbackPort(b *testing.B) int {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// BenchmarkHollowNodes5000 runs 5,000 hollow nodes in one keelson-kubelet process against a
// keelson-apiserver process (embedded etcd, so its CPU includes etcd's) with the default status
// (10s), lease (40s, renewed every 10s) and relist (1s) periods. Once every node is Ready it measures, over a
// 30s window of heartbeats, the apiserver's CPU seconds per second and the kubelet's, and the
// kubelet's RSS at the end. Bounded: 5 minutes to get the nodes Ready.
func BenchmarkHollowNodes5000(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), scaleTimeout+2*scaleWindow)
	defer cancel()
	port := freeLoopbackPort(b)
	endpoint := "127.0.0.1:" + strconv.Itoa(port)
	// Secured as deployed: TLS with the cluster's certificates, client certificates, Node,RBAC.
	// The hollow kubelet serves 5,000 nodes under one identity, the admin's.
	dir := b.TempDir()
	p := framework.GeneratePKI(b, builtBinary(b, "pki"), clusterpki.Spec{
		Dir: filepath.Join(dir, "pki"), KubeconfigDir: dir, Server: "https://" + endpoint, ServiceCIDR: scaleServiceCIDR,
	})
	ca := p.CertFile(clusterpki.CAName)
	api := exec.Command(builtBinary(b, "apiserver"), "--port", strconv.Itoa(port), "--bind-address", "127.0.0.1",
		"--etcd-client-port", "0", "--etcd-peer-port", "0", "--data-dir", filepath.Join(dir, "etcd"),
		"--service-cluster-ip-range", scaleServiceCIDR,
		"--tls-cert-file", p.CertFile(clusterpki.APIServerName), "--tls-private-key-file", p.KeyFile(clusterpki.APIServerName),
		"--client-ca-file", ca, "--authorization-mode", "Node,RBAC", "--log-level", "warn")
	apiLog, err := os.Create(filepath.Join(dir, "apiserver.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = apiLog.Close() }()
	api.Stdout, api.Stderr = apiLog, apiLog
	admin, err := kubeconfig.Load(p.Kubeconfig(clusterpki.AdminName))
	if err != nil {
		b.Fatal(err)
	}
	resolved, err := admin.Resolve("")
	if err != nil {
		b.Fatal(err)
	}
	adminConfig := resolved.ClientConfig()
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: adminConfig.TLS.Clone()}}
	framework.Start(b, &framework.Command{Cmd: api}).WaitHealthyWith(hc, "https://"+endpoint+"/readyz", time.Minute)
	hc.CloseIdleConnections()

	servingCert, servingKey := framework.IssueKubeletServing(b, p, "scale", "127.0.98.4")
	k := framework.StartKubeletProcess(b, builtBinary(b, "kubelet"), []string{endpoint},
		framework.KubeletOptions{NodeName: "scale", NodeIP: "127.0.98.4"},
		"--hollow-nodes", strconv.Itoa(scaleNodes), "--hollow-node-prefix", "scale",
		"--node-status-update-frequency", "10s", "--node-lease-duration-seconds", "40", "--relist-period", "1s",
		"--kubeconfig", p.Kubeconfig(clusterpki.AdminName),
		"--tls-cert-file", servingCert, "--tls-private-key-file", servingKey, "--client-ca-file", ca)
	c, err := client.New(adminConfig)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	start := time.Now()
	waitReady(ctx, b, c, scaleNodes, scaleTimeout)
	readyAfter := time.Since(start)

	apiPid, kubeletPid := api.Process.Pid, k.Cmd.Process.Pid
	api0, kubelet0, t0 := cpuTime(b, apiPid), cpuTime(b, kubeletPid), time.Now()
	measureWindow(ctx, scaleWindow)
	api1, kubelet1, window := cpuTime(b, apiPid), cpuTime(b, kubeletPid), time.Since(t0)
	rss := procStatusKiB(b, kubeletPid, "VmRSS")
	ready, _ := readyNodes(ctx, c)

	apiCPU := (api1 - api0).Seconds() / window.Seconds()
	kubeletCPU := (kubelet1 - kubelet0).Seconds() / window.Seconds()
	b.ReportMetric(apiCPU, "apiserver-cpu-s/s")
	b.ReportMetric(kubeletCPU, "kubelet-cpu-s/s")
	b.ReportMetric(float64(rss)/1024, "kubelet-MiB")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("%d hollow nodes in one keelson-kubelet: all Ready after %s; over %s of heartbeats: apiserver (embedded etcd) %.2f CPU-s/s, kubelet %.2f CPU-s/s; kubelet RSS %.0f MiB (%.1f KiB per node); %d nodes Ready at the end\n",
		scaleNodes, readyAfter.Round(time.Second), window.Round(time.Second), apiCPU, kubeletCPU,
		float64(rss)/1024, float64(rss)/scaleNodes, ready)
}
