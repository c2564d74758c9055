package integration

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// startHollowNodes runs a kubelet of n hollow nodes named prefix-<i>.
func startHollowNodes(t *testing.T, cl *framework.Cluster, prefix string, n int) *framework.Kubelet {
	t.Helper()
	return framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: prefix,
		Runtime:  kubeletserver.RuntimeHollow,
		Configure: func(cfg *kubeletserver.Config) {
			cfg.HollowNodes = n
			cfg.HollowNodePrefix = prefix
		},
	})
}

// startDaemonSetCluster starts a cluster with the scheduler, the daemon set controller and a
// kubelet of n hollow nodes named prefix-<i>.
func startDaemonSetCluster(t *testing.T, prefix string, n int) (*framework.Cluster, *client.Client, context.Context) {
	t.Helper()
	cl := framework.StartCluster(t, framework.Options{})
	framework.StartScheduler(t, cl.Endpoints(), nil)
	startHollowNodes(t, cl, prefix, n)
	startControllers(t, cl, harness.DaemonSets)
	return cl, cl.Client(), testContext(t)
}

// daemonSet returns a DaemonSet selecting app=<name> whose pods run spec.
func daemonSet(name string, spec *corev1.PodSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &appsv1.DaemonSetSpec{
			Selector: selector(map[string]string{"app": name}),
			Template: &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec},
		},
	}
}

// daemonNodes returns the sorted nodes the live, running and ready pods of tr are bound to.
func daemonNodes(tr *podTracker) []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, p := range tr.live {
		if p.GetStatus().GetPhase() == "Running" && isPodReady(p) {
			out = append(out, p.GetSpec().GetNodeName())
		}
	}
	sort.Strings(out)
	return out
}

func isPodReady(p *corev1.Pod) bool {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c.GetStatus() == "True"
		}
	}
	return false
}

// TestDaemonSetFollowsNodes runs a DaemonSet on hollow nodes with the scheduler: it has a ready
// pod on each node, one more when a kubelet joins, one less when that kubelet leaves and its
// Node is deleted or a node stops matching the node selector, and its status says so as
// kubectl get ds shows it.
func TestDaemonSetFollowsNodes(t *testing.T) {
	cl, c, ctx := startDaemonSetCluster(t, "ds-a", 2)
	tr := trackPods(t, c, "app=agent")
	sets := c.DaemonSets("default")
	_, err := sets.Create(ctx, daemonSet("agent", &corev1.PodSpec{
		NodeSelector: map[string]string{"daemon": "yes"},
		Containers:   []*corev1.Container{{Name: "agent", Image: "agent"}},
	}))
	require.NoError(t, err)
	label := func(node, value string) {
		t.Helper()
		framework.Eventually(t, 30*time.Second, func() bool {
			n, err := c.Nodes().Get(ctx, node)
			if err != nil {
				return false
			}
			if n.Metadata.Labels == nil {
				n.Metadata.Labels = map[string]string{}
			}
			n.Metadata.Labels["daemon"] = value
			_, err = c.Nodes().Update(ctx, n)
			return err == nil
		}, "label node %s daemon=%s", node, value)
	}
	status := func(want *appsv1.DaemonSetStatus) {
		t.Helper()
		framework.Eventually(t, 60*time.Second, func() bool {
			ds, err := sets.Get(ctx, "agent")
			if err != nil {
				return false
			}
			want.ObservedGeneration = ds.GetMetadata().GetGeneration()
			return ds.GetStatus().String() == want.String()
		}, "daemon set status %v", want)
	}
	waitNodes := func(want ...string) {
		t.Helper()
		framework.Eventually(t, 60*time.Second, func() bool {
			live, _, _ := tr.counts()
			got := daemonNodes(tr)
			return live == len(want) && slices.Equal(got, want)
		}, "ready daemon pods on %v", want)
	}

	framework.Eventually(t, 60*time.Second, func() bool {
		nodes, err := c.Nodes().List(ctx, client.ListOptions{})
		return err == nil && len(nodes.Items) == 2
	}, "two hollow nodes registered")
	label("ds-a-0", "yes")
	label("ds-a-1", "yes")
	waitNodes("ds-a-0", "ds-a-1")
	status(&appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2,
		UpdatedNumberScheduled: 2, NumberAvailable: 2})

	joining := startHollowNodes(t, cl, "ds-b", 1)
	framework.Eventually(t, 60*time.Second, func() bool { _, err := c.Nodes().Get(ctx, "ds-b-0"); return err == nil }, "ds-b-0 joins")
	label("ds-b-0", "yes")
	waitNodes("ds-a-0", "ds-a-1", "ds-b-0")
	status(&appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 3,
		UpdatedNumberScheduled: 3, NumberAvailable: 3})

	// A node that stops matching the selector loses its pod.
	label("ds-a-1", "no")
	waitNodes("ds-a-0", "ds-b-0")
	status(&appsv1.DaemonSetStatus{DesiredNumberScheduled: 2, CurrentNumberScheduled: 2, NumberReady: 2,
		UpdatedNumberScheduled: 2, NumberAvailable: 2})

	// A node that leaves loses its pod.
	require.NoError(t, joining.Stop())
	require.NoError(t, c.Nodes().Delete(ctx, "ds-b-0"))
	framework.Eventually(t, 60*time.Second, func() bool {
		live, _, _ := tr.counts()
		return live == 1
	}, "the pod of the node that left is deleted")
	status(&appsv1.DaemonSetStatus{DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, NumberReady: 1,
		UpdatedNumberScheduled: 1, NumberAvailable: 1})
}
