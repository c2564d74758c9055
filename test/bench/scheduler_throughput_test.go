package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// The SchedulingBasic workload, as kube-scheduler's scheduler_perf runs it: fake nodes, then pods
// with small requests that fit anywhere.
const (
	schedPods         = 10000
	schedCreators     = 64  // concurrent pod creates, like a busy controller manager
	schedBindBaseline = 256 // concurrent binds in the baseline: the scheduler's default --bind-concurrency
	schedTimeout      = 5 * time.Minute
)

// BenchmarkSchedulingBasic measures scheduling throughput on the in-process apiserver and etcd with
// 500 and 5,000 fake nodes: 10,000 pods with small requests are created while keelson-scheduler
// runs, and the benchmark reports pods per second from the first create to the last binding seen
// on a watch, and the p50 and p99 of each pod's latency from its create call to its binding.
//
// To say what limits it, the same run first measures, against the same apiserver and etcd, how
// fast 10,000 pods can be created alone, and bound alone through the binding subresource with no
// scheduler: every scheduled pod costs one of each, so 1/(1/creates + 1/binds) is the most the
// API allows. It also reports the scheduler's own mean algorithm time per pod from its metrics.
// Everything is bounded: at most 5 minutes per cluster size.
func BenchmarkSchedulingBasic(b *testing.B) {
	for _, nodes := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d/pods=%d", nodes, schedPods), func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), schedTimeout)
			defer cancel()
			// The apiserver on its embedded etcd, as `make run` deploys it.
			cl := framework.StartCluster(b, framework.Options{APIServers: 1, EmbeddedEtcd: true})
			// Straight to the apiserver, no test proxy, for the scheduler and the baseline alike.
			addr := cl.APIServer(0).Addr().String()
			c := cl.Client(addr)
			names := createFakeNodes(ctx, b, c, nodes)

			creates, binds := apiBaseline(ctx, b, c, names)
			apiMax := 1 / (1/creates + 1/binds)

			sched := framework.StartScheduler(b, []string{addr}, nil)
			stopProfiles := profileScheduling(b, nodes)
			r := schedulePods(ctx, b, c)
			stopProfiles()
			algo := mean(b, sched, "scheduler_scheduling_algorithm_duration_seconds")
			bind := mean(b, sched, "scheduler_binding_duration_seconds")

			b.ReportMetric(r.podsPerSec, "pods/s")
			b.ReportMetric(float64(r.p50.Milliseconds()), "p50-ms")
			b.ReportMetric(float64(r.p99.Milliseconds()), "p99-ms")
			b.ReportMetric(creates, "creates/s")
			b.ReportMetric(binds, "binds/s")
			b.ReportMetric(r.podsPerSec/apiMax, "pods/api-max")
			b.ReportMetric(algo.Seconds()*1e6, "algo-µs/pod")
			b.ReportMetric(0, "ns/op")
			fmt.Printf("scheduling %d pods on %d nodes: %.0f pods/s (first create to last binding %s), latency p50 %s p99 %s\n",
				schedPods, nodes, r.podsPerSec, r.elapsed.Round(time.Millisecond), r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond))
			fmt.Printf("  same-run baseline: %.0f creates/s alone, %.0f binds/s alone, so at most %.0f pods/s through the API; reached %.0f%% of it\n",
				creates, binds, apiMax, 100*r.podsPerSec/apiMax)
			fmt.Printf("  scheduler algorithm: %s per pod on average (%.0f decisions/s on one goroutine), %.0f%% of the time per pod; a binding takes %s\n",
				algo.Round(time.Microsecond), 1/algo.Seconds(), 100*algo.Seconds()*r.podsPerSec, bind.Round(time.Microsecond))
		})
	}
}

// createFakeNodes creates n Ready nodes with room for far more than the benchmark's pods.
func createFakeNodes(ctx context.Context, b *testing.B, c *client.Client, n int) []string {
	b.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%05d", i)
	}
	rate := run(b, n, 50, func(i int) error {
		_, err := c.Nodes().Create(ctx, &corev1.Node{
			Metadata: &metav1.ObjectMeta{Name: names[i], Labels: map[string]string{"kubernetes.io/hostname": names[i]}},
			Status: &corev1.NodeStatus{
				Capacity:    map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
				Allocatable: map[string]string{"cpu": "32", "memory": "256Gi", "pods": "110"},
				Conditions:  []*corev1.NodeCondition{{Type: "Ready", Status: "True", Reason: "KubeletReady"}},
			},
		})
		return err
	})
	b.Logf("created %d nodes at %.0f/s", n, rate)
	return names
}

// apiBaseline creates schedPods pods no scheduler will take (in their own namespace, naming
// another scheduler) and then binds them, round robin over the nodes, returning each rate. It
// deletes them afterwards.
func apiBaseline(ctx context.Context, b *testing.B, c *client.Client, nodes []string) (creates, binds float64) {
	b.Helper()
	const ns = "baseline"
	if _, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	pods := c.Pods(ns)
	creates = run(b, schedPods, schedCreators, func(i int) error {
		p := schedPod(fmt.Sprintf("base-%05d", i))
		p.Spec.SchedulerName = "nobody"
		_, err := pods.Create(ctx, p)
		return err
	})
	binds = run(b, schedPods, schedBindBaseline, func(i int) error {
		return pods.Bind(ctx, fmt.Sprintf("base-%05d", i), nodes[i%len(nodes)])
	})
	// The measured run starts from empty nodes, as SchedulingBasic does: the baseline's pods go
	// (at once: no kubelet will confirm a graceful deletion) before the scheduler starts.
	zero := int64(0)
	run(b, schedPods, schedBindBaseline, func(i int) error {
		return pods.Delete(ctx, fmt.Sprintf("base-%05d", i), client.DeleteOptions{GracePeriodSeconds: &zero})
	})
	return creates, binds
}

func schedPod(name string) *corev1.Pod {
	p := benchPod(name)
	p.Metadata.Labels = map[string]string{"app": "bench"}
	return p
}

// profileScheduling, when KEELSON_BENCH_PROFILE names a directory, profiles the scheduling phase
// alone: it writes sched-<nodes>-cpu.pprof and, for the allocations, sched-<nodes>-allocs.pprof
// with sched-<nodes>-allocs-base.pprof to subtract (go tool pprof -base). The returned function
// stops the profiles.
func profileScheduling(b *testing.B, nodes int) func() {
	b.Helper()
	dir := os.Getenv("KEELSON_BENCH_PROFILE")
	if dir == "" {
		return func() {}
	}
	path := func(what string) string { return filepath.Join(dir, fmt.Sprintf("sched-%d-%s.pprof", nodes, what)) }
	writeAllocs := func(what string) {
		f, err := os.Create(path(what))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = f.Close() }() // written in full by WriteTo; a failed close loses a diagnostic only
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	writeAllocs("allocs-base")
	cpu, err := os.Create(path("cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := cpu.Close(); err != nil {
			b.Error(err)
		}
		writeAllocs("allocs")
	}
}

// mean returns the mean of a histogram of the scheduler's metrics.
func mean(b *testing.B, s *framework.Scheduler, histogram string) time.Duration {
	b.Helper()
	m := s.Metrics(b)
	if m[histogram+"_count"] == 0 {
		return 0
	}
	return time.Duration(m[histogram+"_sum"] / m[histogram+"_count"] * float64(time.Second))
}

type schedResult struct {
	podsPerSec float64
	elapsed    time.Duration
	p50, p99   time.Duration
}

// schedulePods warms the scheduler up with one pod, then creates schedPods pods on
// schedCreators goroutines and follows their bindings on a watch.
func schedulePods(ctx context.Context, b *testing.B, c *client.Client) schedResult {
	b.Helper()
	const ns = "default"
	pods := c.Pods(ns)
	if _, err := pods.Create(ctx, schedPod("warmup")); err != nil {
		b.Fatal(err)
	}
	framework.Eventually(b, time.Minute, func() bool {
		p, err := pods.Get(ctx, "warmup")
		return err == nil && p.GetSpec().GetNodeName() != ""
	}, "the warm-up pod bound (the scheduler has synced)")
	list, err := pods.List(ctx, client.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}

	var mu sync.Mutex
	created := make(map[string]time.Time, schedPods)
	bound := make(map[string]time.Time, schedPods)
	allBound := make(chan struct{})
	watched := make(chan error, 1)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() { watched <- followBindings(wctx, pods, list.ResourceVersion, &mu, bound, allBound) }()

	start := time.Now()
	run(b, schedPods, schedCreators, func(i int) error {
		name := fmt.Sprintf("pod-%05d", i)
		t := time.Now()
		mu.Lock()
		created[name] = t
		mu.Unlock()
		_, err := pods.Create(ctx, schedPod(name))
		return err
	})
	select {
	case <-allBound:
	case err := <-watched:
		b.Fatalf("watching the bindings: %v", err)
	case <-ctx.Done():
		mu.Lock()
		n := len(bound)
		mu.Unlock()
		b.Fatalf("only %d of %d pods bound within %s", n, schedPods, schedTimeout)
	}
	stopWatch()
	if err := <-watched; err != nil {
		b.Fatalf("watching the bindings: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	var last time.Time
	latencies := make([]time.Duration, 0, schedPods)
	for name, at := range bound {
		if at.After(last) {
			last = at
		}
		latencies = append(latencies, at.Sub(created[name]))
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	q := func(f float64) time.Duration { return latencies[int(f*float64(len(latencies)-1))] }
	elapsed := last.Sub(start)
	return schedResult{podsPerSec: schedPods / elapsed.Seconds(), elapsed: elapsed, p50: q(0.50), p99: q(0.99)}
}

// followBindings records when each benchmark pod is first seen bound, resuming the watch if the
// server ends it, and closes allBound once schedPods pods are.
func followBindings(ctx context.Context, pods *client.Resource[*corev1.Pod], rv string, mu *sync.Mutex, bound map[string]time.Time, allBound chan struct{}) error {
	for {
		// Bound pods only: the server leaves out the unbound ones, so the harness does not take CPU
		// from the cluster decoding events it has no use for.
		w, err := pods.Watch(ctx, client.ListOptions{ResourceVersion: rv, FieldSelector: "spec.nodeName!="})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for ev := range w.Events() {
			now := time.Now()
			rv = ev.Object.GetMetadata().GetResourceVersion()
			name := ev.Object.GetMetadata().GetName()
			if ev.Object.GetSpec().GetNodeName() == "" || !strings.HasPrefix(name, "pod-") {
				continue
			}
			mu.Lock()
			if _, seen := bound[name]; !seen {
				bound[name] = now
				if len(bound) == schedPods {
					close(allBound)
				}
			}
			mu.Unlock()
		}
		if err := w.Err(); err != nil && ctx.Err() == nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
