package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/test/framework"
)

// serviceNodes are the three nodes of the Services test: with the process runtime a pod's IP is its
// node's IP.
var serviceNodes = []struct{ name, ip string }{
	{"svc-node-a", "127.0.0.2"},
	{"svc-node-b", "127.0.0.3"},
	{"svc-node-c", "127.0.0.4"},
}

// servicesCluster is a cluster of built binaries for the Services test and the HTTP client its
// requests go out with.
type servicesCluster struct {
	*kubectlEnv
	client *http.Client
	// mu guards served: every pod name a response named, whose web root is removed at the end.
	mu     sync.Mutex
	served map[string]bool
}

// startServicesCluster runs, next to a secure apiserver (cluster IPs from 127.96.0.0/16, bound on
// lo), the scheduler, a controller manager with the Deployment, ReplicaSet and Endpoints
// controllers, three process-runtime kubelets on 127.0.0.2-4 and one proxy whose node ports listen
// on the first node's IP, each with its own identity from the cluster's PKI. The kubelets' container processes and cgroups are removed when the test ends.
func startServicesCluster(t *testing.T) (*servicesCluster, string) {
	t.Helper()
	nodes := make([]string, 0, len(serviceNodes))
	for _, n := range serviceNodes {
		nodes = append(nodes, n.name)
	}
	e := startKubectlEnv(t, nodes...)
	bin := requireBinaries(t)
	for _, d := range []struct {
		name string
		args []string
	}{
		{"scheduler", append(e.pki.kubeconfigArgs(clusterpki.SchedulerName), "--log-level", "warn")},
		{"controller-manager", append(e.pki.kubeconfigArgs(clusterpki.ControllerManagerName),
			"--controllers", "deployment,replicaset,endpoint", "--log-level", "warn")},
	} {
		port := strconv.Itoa(freePort(t))
		startDaemon(t, bin, d.name, nil, append(d.args, "--port", port)...).
			WaitHealthy("http://127.0.0.1:"+port+"/healthz", 60*time.Second)
	}
	for _, n := range serviceNodes {
		framework.StartKubeletProcess(t, filepath.Join(bin, "keelson-kubelet"), []string{e.pki.addr()},
			framework.KubeletOptions{NodeName: n.name, NodeIP: n.ip}, e.pki.kubeletArgs(t, n.name, n.ip)...)
	}
	healthz := strconv.Itoa(freePort(t))
	startDaemon(t, bin, "proxy", nil, append(e.pki.kubeconfigArgs(clusterpki.ProxyName), "--hostname-override", serviceNodes[0].name,
		"--bind-address", serviceNodes[0].ip, "--healthz-bind-address", "127.0.0.1:"+healthz,
		"--metrics-bind-address", "127.0.0.1:"+strconv.Itoa(freePort(t)), "--log-level", "warn")...).
		WaitHealthy("http://127.0.0.1:"+healthz+"/healthz", 60*time.Second)
	e.ok("wait", "--for=condition=Ready", "node", "--all", "--timeout=50s")
	require.Len(t, strings.Fields(e.ok("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}")), len(serviceNodes))

	c := &servicesCluster{
		kubectlEnv: e,
		// A connection per request, so that every request is balanced anew.
		client: &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		served: map[string]bool{},
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for name := range c.served {
			_ = os.RemoveAll(filepath.Join("/tmp/keelson-web", name))
		}
	})
	return c, filepath.Join(repoRoot(t), "deploy", "examples", "services")
}

// get sends one GET to url and returns the body, the name of the pod that answered.
func (c *servicesCluster) get(url string) (string, error) {
	resp, err := c.client.Get(url)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	name := strings.TrimSpace(string(b))
	c.mu.Lock()
	c.served[name] = true
	c.mu.Unlock()
	return name, nil
}

// readyPods returns the names of the web pods that are Ready and not being deleted.
func (c *servicesCluster) readyPods() []string {
	c.t.Helper()
	out := c.ok("get", "pods", "-l", "app=web", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[1] == "True" {
			names = append(names, f[0])
		}
	}
	return names
}

// rolledOut waits until the web Deployment has replicas ready pods and no others.
func (c *servicesCluster) rolledOut(replicas int) []string {
	c.t.Helper()
	var pods []string
	require.Eventually(c.t, func() bool {
		pods = c.readyPods()
		return len(pods) == replicas &&
			c.ok("get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}") == strconv.Itoa(replicas)
	}, 90*time.Second, 250*time.Millisecond, "web has %d ready pods (last: %v)", replicas, pods)
	return pods
}

// servedBy polls url until a run of n requests in a row all succeed and are answered by exactly
// the pods want, within 60 seconds, as the proxy follows an Endpoints change.
func (c *servicesCluster) servedBy(url string, want []string, n int) {
	c.t.Helper()
	var last map[string]int
	var lastErr error
	require.Eventually(c.t, func() bool {
		last, lastErr = map[string]int{}, nil
		for range n {
			name, err := c.get(url)
			if err != nil {
				lastErr = err
				return false
			}
			last[name]++
		}
		return len(last) == len(want) && allIn(want, last)
	}, 60*time.Second, 100*time.Millisecond, "%d requests to %s answered by %v (last: %v, error %v)", n, url, want, last, lastErr)
}

func allIn(want []string, got map[string]int) bool {
	for _, w := range want {
		if got[w] == 0 {
			return false
		}
	}
	return true
}

// TestServicesEndToEnd applies deploy/examples/services with the real kubectl to a cluster of
// built binaries (three process-runtime kubelets on 127.0.0.2-4, one proxy) and checks that a
// Service's cluster IP and node port reach every ready pod of a busybox httpd Deployment; that
// while a deleted pod is replaced no request fails for more than a second and the replacement gets
// traffic; that traffic follows a scale to 1 and back to 3; that a UDP echo Service answers
// through its cluster IP; and that sessionAffinity: ClientIP keeps a client on one pod. Every wait
// is bounded.
func TestServicesEndToEnd(t *testing.T) {
	c, examples := startServicesCluster(t)
	c.ok("apply", "-f", filepath.Join(examples, "web.yaml"))
	pods := c.rolledOut(3)

	clusterIP := c.ok("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")
	require.True(t, strings.HasPrefix(clusterIP, "127.96."), "cluster IP %q from --service-cluster-ip-range", clusterIP)
	nodePort := c.ok("get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}")
	byClusterIP := "http://" + net.JoinHostPort(clusterIP, "80") + "/"
	byNodePort := "http://" + net.JoinHostPort(serviceNodes[0].ip, nodePort) + "/"

	// The proxy follows the Endpoints within moments; then every request succeeds.
	c.servedBy(byClusterIP, pods, 3)
	for _, url := range []string{byClusterIP, byNodePort} {
		got := map[string]int{}
		for i := range 300 {
			name, err := c.get(url)
			require.NoError(t, err, "request %d to %s", i, url)
			got[name]++
		}
		require.Len(t, got, 3, "300 requests to %s answered by %v", url, got)
		require.True(t, allIn(pods, got), "answered by %v, want every one of %v", got, pods)
	}

	// "a deleted pod is replaced without an outage"
	{
		t.Log("a deleted pod is replaced without an outage")
		stop := make(chan struct{})
		done := make(chan time.Duration)
		// Requests go out back to back; the longest time from a failed request to the next
		// success is the outage.
		go func() {
			var longest time.Duration
			var failingSince time.Time
			for {
				select {
				case <-stop:
					if !failingSince.IsZero() {
						longest = max(longest, time.Since(failingSince))
					}
					done <- longest
					return
				default:
				}
				start := time.Now()
				if _, err := c.get(byClusterIP); err != nil {
					if failingSince.IsZero() {
						failingSince = start
					}
					continue
				}
				if !failingSince.IsZero() {
					longest = max(longest, time.Since(failingSince))
					failingSince = time.Time{}
				}
			}
		}()
		c.ok("delete", "pod", pods[0], "--wait=false")
		var now []string
		require.Eventually(t, func() bool {
			now = c.readyPods()
			return len(now) == 3 && !slices.Contains(now, pods[0])
		}, 90*time.Second, 250*time.Millisecond, "a replacement for %s is ready (last: %v)", pods[0], now)
		c.servedBy(byClusterIP, now, 30)
		close(stop)
		longest := <-done
		t.Logf("longest outage while %s was replaced: %s", pods[0], longest)
		require.LessOrEqual(t, longest, time.Second, "no request fails for more than a second")
		pods = now
	}

	// "traffic follows a scale to 1 and back to 3"
	{
		t.Log("traffic follows a scale to 1 and back to 3")
		c.ok("scale", "deployment/web", "--replicas=1")
		one := c.rolledOut(1)
		c.servedBy(byClusterIP, one, 30)
		c.ok("scale", "deployment/web", "--replicas=3")
		three := c.rolledOut(3)
		c.servedBy(byClusterIP, three, 30)
		c.servedBy(byNodePort, three, 30)
		pods = three
	}

	// "sessionAffinity ClientIP keeps a client on one pod"
	{
		t.Log("sessionAffinity ClientIP keeps a client on one pod")
		c.ok("patch", "service", "web", "-p", `{"spec":{"sessionAffinity":"ClientIP"}}`)
		var got map[string]int
		require.Eventually(t, func() bool {
			got = map[string]int{}
			for range 50 {
				name, err := c.get(byClusterIP)
				if err != nil {
					return false
				}
				got[name]++
			}
			return len(got) == 1
		}, 30*time.Second, 100*time.Millisecond, "50 requests in a row reach one pod (last: %v)", got)
	}

	// "UDP echo through the cluster IP"
	{
		t.Log("UDP echo through the cluster IP")
		c.ok("apply", "-f", filepath.Join(examples, "udp-echo.yaml"))
		echoIP := c.ok("get", "service", "udp-echo", "-o", "jsonpath={.spec.clusterIP}")
		conn, err := net.Dial("udp", net.JoinHostPort(echoIP, "9000"))
		require.NoError(t, err)
		defer func() { _ = conn.Close() }()
		echo := func(msg string) (string, error) {
			if _, err := conn.Write([]byte(msg)); err != nil {
				return "", err
			}
			if err := conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
				return "", err
			}
			buf := make([]byte, 1024)
			n, err := conn.Read(buf)
			return string(buf[:n]), err
		}
		// The echo pod starts and the proxy learns its endpoint; datagrams sent before are lost.
		require.Eventually(t, func() bool {
			got, err := echo("ping")
			return err == nil && got == "ping"
		}, 90*time.Second, 250*time.Millisecond, "the UDP echo service answers")
		for i := range 20 {
			msg := fmt.Sprintf("datagram %d", i)
			got, err := echo(msg)
			require.NoError(t, err, msg)
			require.Equal(t, msg, got)
		}
	}
}
