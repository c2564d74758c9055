package integration

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
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
