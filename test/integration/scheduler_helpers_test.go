package integration

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/scheduler/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// runningScheduler is a keelson-scheduler server running in-process.
type runningScheduler struct {
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	stopped bool
	err     error
}

// startScheduler runs a scheduler against endpoints, without leader election unless mutate turns
// it on. It is stopped when the test ends; the test fails if it returned an error it did not
// expect.
func startScheduler(t *testing.T, endpoints []string, mutate func(*server.Config)) *runningScheduler {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.APIServers = endpoints
	cfg.LeaderElect = false
	cfg.ShutdownTimeout = 5 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := server.New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel)).Named("scheduler"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningScheduler{srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { rs.done <- srv.Run(ctx) }()
	framework.Eventually(t, 10*time.Second, func() bool { return srv.Addr() != nil }, "scheduler health endpoint up")
	t.Cleanup(func() {
		if err := rs.stop(); err != nil {
			t.Errorf("scheduler %s: %v", srv.Identity(), err)
		}
	})
	return rs
}

// stop cancels the scheduler and returns what Run returned; it may be called more than once.
func (rs *runningScheduler) stop() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if !rs.stopped {
		rs.cancel()
		rs.err = <-rs.done
		rs.stopped = true
	}
	return rs.err
}

// exited returns Run's error once Run has returned on its own within timeout.
func (rs *runningScheduler) exited(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-rs.done:
		rs.mu.Lock()
		rs.stopped, rs.err = true, nil // the error is the caller's to judge
		rs.mu.Unlock()
		return err
	case <-time.After(timeout):
		t.Fatalf("scheduler %s still running after %s", rs.srv.Identity(), timeout)
		return nil
	}
}

// metric reads one sample of the scheduler's /metrics, 0 when absent.
func (rs *runningScheduler) metric(t *testing.T, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + rs.srv.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // a read-only body; closing it cannot lose anything
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if name, value, ok := strings.Cut(line, " "); ok && name == sample {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return v
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return 0
}

// checkSchedulerLeaks makes the test fail when goroutines running scheduler code remain after it
// and its cleanups (which stop the schedulers it started) are done. Call it before starting
// anything, so that its check runs last.
func checkSchedulerLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { requireNoSchedulerGoroutines(t) })
}

// requireNoSchedulerGoroutines fails the test when goroutines running scheduler code remain a few
// seconds after every scheduler stopped.
func requireNoSchedulerGoroutines(t *testing.T) {
	t.Helper()
	var stacks []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		stacks = stacks[:0]
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "keelson/scheduler/") && !strings.Contains(g, "requireNoSchedulerGoroutines") {
				stacks = append(stacks, g)
			}
		}
		if len(stacks) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d scheduler goroutines outlived the scheduler:\n%s", len(stacks), strings.Join(stacks, "\n\n"))
			return
		}
		<-time.After(20 * time.Millisecond) // polling with a deadline
	}
}

// fakeNode is a Ready node with allocatable cpu, memory and 110 pods, and no kubelet behind it.
func fakeNode(name, cpu, memory string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:     &corev1.NodeSpec{},
		Status: &corev1.NodeStatus{
			Capacity:    map[string]string{"cpu": cpu, "memory": memory, "pods": "110"},
			Allocatable: map[string]string{"cpu": cpu, "memory": memory, "pods": "110"},
			Conditions:  []*corev1.NodeCondition{{Type: "Ready", Status: "True", Reason: "KubeletReady"}},
		},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func withLabel(k, v string) func(*corev1.Node) {
	return func(n *corev1.Node) { n.Metadata.Labels[k] = v }
}

func withTaint(key, value, effect string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, &corev1.Taint{Key: key, Value: value, Effect: effect})
	}
}

func cordoned(n *corev1.Node) { n.Spec.Unschedulable = true }

// pendingPod is a pod with one container requesting cpu and memory.
func pendingPod(name, cpu, memory string, opts ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
		Spec: &corev1.PodSpec{Containers: []*corev1.Container{{
			Name: "app", Image: "registry.local/app:1",
			Resources: &corev1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": memory}},
		}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func createNodes(t *testing.T, c *client.Client, nodes ...*corev1.Node) {
	t.Helper()
	for _, n := range nodes {
		if _, err := c.Nodes().Create(context.Background(), n); err != nil {
			t.Fatalf("create node %s: %v", n.GetMetadata().GetName(), err)
		}
	}
}

func createPods(t *testing.T, c *client.Client, ns string, pods ...*corev1.Pod) {
	t.Helper()
	for _, p := range pods {
		if _, err := c.Pods(ns).Create(context.Background(), p); err != nil {
			t.Fatalf("create pod %s: %v", p.GetMetadata().GetName(), err)
		}
	}
}

// waitBound waits until the pod is bound and returns its node.
func waitBound(t *testing.T, c *client.Client, ns, name string, timeout time.Duration) string {
	t.Helper()
	var node string
	framework.Eventually(t, timeout, func() bool {
		p, err := c.Pods(ns).Get(context.Background(), name)
		if err != nil {
			return false
		}
		node = p.GetSpec().GetNodeName()
		return node != ""
	}, "pod %s/%s bound", ns, name)
	return node
}

// podNodes returns the node of every pod in ns, "" for pending pods.
func podNodes(t *testing.T, c *client.Client, ns string) map[string]string {
	t.Helper()
	list, err := c.Pods(ns).List(context.Background(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range list.Items {
		out[p.GetMetadata().GetName()] = p.GetSpec().GetNodeName()
	}
	return out
}

func podCondition(p *corev1.Pod, typ string) *corev1.PodCondition {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}
