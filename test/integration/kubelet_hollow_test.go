package integration

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestHollowNodes runs 200 hollow nodes in one kubelet process: every one registers, goes Ready,
// keeps renewing its Lease, and gets the pods bound to it through the one shared pod informer.
func TestHollowNodes(t *testing.T) {
	const nodes = 200
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{
		Configure: func(cfg *kubeletserver.Config) {
			cfg.HollowNodes = nodes
			cfg.HollowNodePrefix = "hollow"
			cfg.NodeStatusUpdateFrequency = 5 * time.Second
			cfg.NodeLeaseDurationSeconds = 8 // renewed every 2s
		},
	})

	ready := func() (int, map[string]string) {
		list, err := c.Nodes().List(context.Background(), client.ListOptions{})
		if err != nil {
			return 0, nil
		}
		n, ips := 0, map[string]string{}
		for _, node := range list.Items {
			if r := nodeCondition(node, "Ready"); r != nil && r.Status == "True" {
				n++
			}
			for _, a := range node.GetStatus().GetAddresses() {
				if a.Type == "InternalIP" {
					ips[a.Address] = node.Metadata.Name
				}
			}
		}
		return n, ips
	}
	framework.Eventually(t, 120*time.Second, func() bool { n, _ := ready(); return n == nodes }, "%d hollow nodes Ready", nodes)
	_, ips := ready()
	require.Len(t, ips, nodes, "every hollow node has its own InternalIP")

	leases := func() map[string]time.Time {
		list, err := c.Leases("kube-node-lease").List(context.Background(), client.ListOptions{})
		if err != nil {
			return nil
		}
		out := map[string]time.Time{}
		for _, l := range list.Items {
			out[l.Metadata.Name] = l.Spec.GetRenewTime().AsTime()
		}
		return out
	}
	var first map[string]time.Time
	framework.Eventually(t, 60*time.Second, func() bool { first = leases(); return len(first) == nodes }, "%d leases", nodes)
	framework.Eventually(t, 60*time.Second, func() bool {
		now := leases()
		for name, at := range first {
			if !now[name].After(at) {
				return false
			}
		}
		return true
	}, "every lease renewed")
	n, _ := ready()
	require.Equal(t, nodes, n, "the nodes stay Ready")
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// The figures include the apiserver's share of the load, so they bound the kubelet's from above.
	t.Logf("per hollow node: %.1f goroutines, %.1f KiB of heap (apiserver included)",
		float64(runtime.NumGoroutine()-goroutines)/nodes, float64(int64(after.HeapInuse)-int64(before.HeapInuse))/1024/nodes)

	// A pod bound to one hollow node reaches that node's desired set only.
	_, err := c.Pods("default").Create(context.Background(), &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: "on-hollow-7"},
		Spec:     &corev1.PodSpec{NodeName: "hollow-7", Containers: []*corev1.Container{{Name: "app", Image: "registry.local/app:1"}}},
	})
	require.NoError(t, err)
	framework.Eventually(t, 30*time.Second, func() bool { return len(k.Server.DesiredPods("hollow-7")) == 1 }, "the pod on hollow-7")
	require.Empty(t, k.Server.DesiredPods("hollow-8"))
	require.Len(t, k.Server.NodeNames(), nodes, fmt.Sprintf("%d agents", nodes))
}

// Scale of TestHollowNodesScale, from the environment. The acceptance point is 500 nodes and
// 5,000 pods (`make test-scale` runs it); the default pod count keeps `make test`, which runs
// with -race, fast.
const (
	scaleNodesEnv     = "KEELSON_HOLLOW_SCALE_NODES"
	scalePodsEnv      = "KEELSON_HOLLOW_SCALE_PODS"
	defaultScaleNodes = 500
	defaultScalePods  = 1000
)

// envInt reads a positive integer from the environment, def when unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	require.Positive(t, n, "%s", name)
	return n
}

// TestHollowNodesScale runs many hollow nodes in one kubelet process (500 by default) with the
// in-process scheduler: every node registers and goes Ready, the pods created through the client
// (a bounded number at a time) are all scheduled onto them and reported Running, and every node is
// still Ready at the end.
func TestHollowNodesScale(t *testing.T) {
	nodes := envInt(t, scaleNodesEnv, defaultScaleNodes)
	pods := envInt(t, scalePodsEnv, defaultScalePods)
	start := time.Now()
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	framework.StartKubelet(t, cluster, framework.KubeletOptions{
		Configure: func(cfg *kubeletserver.Config) {
			cfg.HollowNodes = nodes
			cfg.HollowNodePrefix = "scale"
			cfg.NodeStatusUpdateFrequency = 10 * time.Second
			cfg.NodeLeaseDurationSeconds = 40
			// Each of the many pod managers relists only its own few pods; the default period
			// keeps their sum modest.
			cfg.RelistPeriod = time.Second
		},
	})
	framework.StartScheduler(t, cluster.Endpoints(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	readyNodes := func() int {
		list, err := c.Nodes().List(ctx, client.ListOptions{})
		if err != nil {
			return -1
		}
		n := 0
		for _, node := range list.Items {
			if r := nodeCondition(node, "Ready"); r != nil && r.Status == "True" {
				n++
			}
		}
		return n
	}
	framework.Eventually(t, 180*time.Second, func() bool { return readyNodes() == nodes }, "%d hollow nodes Ready", nodes)
	registered := time.Since(start)

	created := time.Now()
	const inFlight = 32
	work := make(chan int)
	errs := make(chan error, inFlight)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pod := &corev1.Pod{
					Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("scale-%d", i)},
					Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "app", Image: "registry.local/app:1"}}},
				}
				var err error
				// The API server sheds load with TooManyRequests; a client backs off and retries,
				// as client-go does.
				for pause := 10 * time.Millisecond; ; pause = min(2*pause, time.Second) {
					_, err = c.Pods("default").Create(ctx, pod)
					if apierrors.ReasonFor(err) != apierrors.ReasonTooManyRequests {
						break
					}
					select {
					case <-ctx.Done():
					case <-time.After(pause):
					}
				}
				if err != nil {
					errs <- fmt.Errorf("create pod scale-%d: %w", i, err)
					return
				}
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range pods {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	allCreated := time.Since(created)

	var running, bound int
	framework.Eventually(t, 300*time.Second, func() bool {
		list, err := c.Pods("default").List(ctx, client.ListOptions{})
		if err != nil {
			return false
		}
		running, bound = 0, 0
		for _, p := range list.Items {
			if p.GetSpec().GetNodeName() != "" {
				bound++
			}
			if p.GetStatus().GetPhase() == "Running" {
				running++
			}
		}
		return running == pods
	}, "%d pods Running", pods)
	allRunning := time.Since(created)
	require.Equal(t, nodes, readyNodes(), "every node stays Ready")
	t.Logf("%d hollow nodes Ready after %s; %d pods created in %s, all Running after %s (%.0f pods/s)",
		nodes, registered.Round(time.Millisecond), pods, allCreated.Round(time.Millisecond),
		allRunning.Round(time.Millisecond), float64(pods)/allRunning.Seconds())
}
