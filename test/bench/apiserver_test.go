package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func benchPod(name string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Spec: &corev1.PodSpec{Containers: []*corev1.Container{{
			Name: "app", Image: "registry.local/bench:1.0",
			Resources: &corev1.ResourceRequirements{Requests: map[string]string{"cpu": "10m", "memory": "16Mi"}},
		}}},
	}
}

// run calls fn(i) for i in [0, n) on conc goroutines and returns the rate in calls per second.
func run(b *testing.B, n, conc int, fn func(i int) error) float64 {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	start := time.Now()
	for g := 0; g < conc; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}

// BenchmarkPodCreate measures pod creates per second through the apiserver's gRPC API and raw etcd
// puts per second of the same stored size against the same etcd, at concurrency 1 and 100, and
// reports their ratio. It does so for both topologies: an external etcd that the apiserver and the
// baseline both reach over gRPC, and the default embedded etcd, which the apiserver and the
// baseline both reach in-process.
func BenchmarkPodCreate(b *testing.B) {
	for _, topology := range []string{"external", "embedded"} {
		for _, tc := range []struct{ conc, n int }{{1, 2000}, {100, 10000}} {
			b.Run(fmt.Sprintf("etcd=%s/concurrency=%d", topology, tc.conc), func(b *testing.B) {
				embedded := topology == "embedded"
				cl := framework.StartCluster(b, framework.Options{APIServers: 1, EmbeddedEtcd: embedded})
				// Straight to the apiserver, as the etcd baseline goes straight to etcd: no test proxy.
				c := cl.Client(cl.APIServer(0).Addr().String())
				cli := cl.APIServer(0).EtcdClient()
				if !embedded {
					cli = cl.EtcdClient()
				}
				benchCreates(b, topology, tc.conc, tc.n, c, cli)
			})
		}
	}
}

// benchCreates measures raw puts, guarded transactions and apiserver creates on one cluster.
func benchCreates(b *testing.B, topology string, conc, n int, c *client.Client, cli *clientv3.Client) {
	b.Helper()
	ctx := context.Background()
	value := string(mustMarshal(b, benchPod("p-00000")))
	puts := run(b, n, conc, func(i int) error {
		_, err := cli.Put(ctx, fmt.Sprintf("/bench/raw/%d", i), value)
		return err
	})
	// A guarded transaction is what the apiserver does per create; measure it too.
	txns := run(b, n, conc, func(i int) error {
		key := fmt.Sprintf("/bench/txn/%d", i)
		_, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).Then(clientv3.OpPut(key, value)).Commit()
		return err
	})
	pods := c.Pods("default")
	creates := run(b, n, conc, func(i int) error {
		_, err := pods.Create(ctx, benchPod(fmt.Sprintf("p-%05d", i)))
		return err
	})
	b.ReportMetric(puts, "etcd-puts/s")
	b.ReportMetric(txns, "etcd-txns/s")
	b.ReportMetric(creates, "creates/s")
	b.ReportMetric(creates/puts, "creates/puts")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("pod create, %s etcd, concurrency %d: %.0f creates/s through the apiserver, %.0f raw etcd puts/s, %.0f guarded etcd txns/s: ratio creates/puts %.2f\n",
		topology, conc, creates, puts, txns, creates/puts)
}

func mustMarshal(b *testing.B, m proto.Message) []byte {
	b.Helper()
	out, err := proto.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkWatchFanout measures how long a change takes to reach each of 1,000 watchers: the time
// from just before the create call to the event's arrival at each watcher, over 50 creates.
func BenchmarkWatchFanout(b *testing.B) {
	const watchers, changes = 1000, 50
	cl := framework.StartCluster(b, framework.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := cl.APIServer(0).Addr().String()
	clients := []*client.Client{cl.Client(addr), cl.Client(addr), cl.Client(addr), cl.Client(addr)}

	var mu sync.Mutex
	sent := map[string]time.Time{}
	var latencies []time.Duration
	arrived := make(chan struct{}, watchers*changes)
	var ready sync.WaitGroup
	var done sync.WaitGroup
	for i := 0; i < watchers; i++ {
		w, err := clients[i%len(clients)].Pods("default").Watch(ctx, client.ListOptions{ResourceVersion: "0"})
		if err != nil {
			b.Fatal(err)
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			defer w.Stop()
			ready.Done()
			for ev := range w.Events() {
				now := time.Now()
				if ev.Type != client.Added {
					continue
				}
				mu.Lock()
				latencies = append(latencies, now.Sub(sent[ev.Object.GetMetadata().GetName()]))
				mu.Unlock()
				arrived <- struct{}{}
			}
		}()
	}
	ready.Wait()
	pods := clients[0].Pods("default")
	for i := 0; i < changes; i++ {
		name := fmt.Sprintf("w-%03d", i)
		mu.Lock()
		sent[name] = time.Now()
		mu.Unlock()
		if _, err := pods.Create(ctx, benchPod(name)); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < watchers; j++ {
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				b.Fatalf("change %d reached only %d of %d watchers", i, j, watchers)
			}
		}
	}
	cancel()
	done.Wait()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	b.ReportMetric(float64(p(0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(p(0.99).Microseconds()), "p99-µs")
	b.ReportMetric(0, "ns/op")
	fmt.Printf("watch delivery to %d watchers over %d changes: p50 %s, p99 %s, max %s\n",
		watchers, changes, p(0.50), p(0.99), latencies[len(latencies)-1])
}
