package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestSchedulerPlacement runs the scheduler against fake nodes and checks that pods land where the
// predicates and priorities say: node selectors and affinity, resources, taints that repel and
// tolerations that admit, a cordoned node that receives nothing, anti-affinity that spreads.
func TestSchedulerPlacement(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	createNodes(t, c,
		fakeNode("big", "16", "32Gi", withLabel("disk", "hdd")),
		fakeNode("ssd", "4", "8Gi", withLabel("disk", "ssd")),
		fakeNode("small", "1", "1Gi"),
		fakeNode("gpu", "8", "16Gi", withLabel("accelerator", "gpu"), withTaint("dedicated", "gpu", "NoSchedule")),
		fakeNode("spot", "16", "32Gi", withTaint("spot", "", "PreferNoSchedule")),
		fakeNode("cordoned", "64", "128Gi", cordoned), // the emptiest node by far, were it not cordoned
	)
	sched := framework.StartScheduler(t, cl.Endpoints(), nil)
	const ns = "default"

	t.Run("preferred node affinity", func(t *testing.T) {
		createPods(t, c, ns, pendingPod("prefers-hdd", "100m", "64Mi", func(p *corev1.Pod) {
			p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []*corev1.PreferredSchedulingTerm{{Weight: 100, Preference: &corev1.NodeSelectorTerm{
					MatchExpressions: []*corev1.NodeSelectorRequirement{{Key: "disk", Operator: "In", Values: []string{"hdd"}}}}}}}}
		}))
		require.Equal(t, "big", waitBound(t, c, ns, "prefers-hdd", 10*time.Second))
	})

	t.Run("node selector", func(t *testing.T) {
		createPods(t, c, ns, pendingPod("wants-ssd", "100m", "64Mi", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }))
		require.Equal(t, "ssd", waitBound(t, c, ns, "wants-ssd", 10*time.Second))
	})

	t.Run("resources, and a PreferNoSchedule taint is only a preference", func(t *testing.T) {
		// Only big, spot, gpu and cordoned have 12 cpus; gpu repels, cordoned is cordoned, spot is
		// disliked: big. Then big is full for another 12 and spot is what remains.
		createPods(t, c, ns, pendingPod("large-1", "12", "1Gi"))
		require.Equal(t, "big", waitBound(t, c, ns, "large-1", 10*time.Second))
		createPods(t, c, ns, pendingPod("large-2", "12", "1Gi"))
		require.Equal(t, "spot", waitBound(t, c, ns, "large-2", 10*time.Second))
	})

	t.Run("tolerations admit", func(t *testing.T) {
		createPods(t, c, ns, pendingPod("trainer", "1", "1Gi", func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"accelerator": "gpu"}
			p.Spec.Tolerations = []*corev1.Toleration{{Key: "dedicated", Operator: "Equal", Value: "gpu", Effect: "NoSchedule"}}
		}))
		require.Equal(t, "gpu", waitBound(t, c, ns, "trainer", 10*time.Second))
	})

	t.Run("taints repel and a cordoned node receives nothing", func(t *testing.T) {
		var names []string
		for i := 0; i < 30; i++ {
			name := fmt.Sprintf("plain-%02d", i)
			names = append(names, name)
			createPods(t, c, ns, pendingPod(name, "100m", "64Mi"))
		}
		used := map[string]int{}
		for _, name := range names {
			used[waitBound(t, c, ns, name, 20*time.Second)]++
		}
		require.Zero(t, used["gpu"], "the gpu taint repels pods without the toleration: %v", used)
		require.Zero(t, used["cordoned"], "the cordoned node receives nothing: %v", used)
		require.GreaterOrEqual(t, len(used), 2, "least requested spreads the pods: %v", used)
	})

	t.Run("cordoning and uncordoning", func(t *testing.T) {
		node, err := c.Nodes().Get(ctx, "ssd")
		require.NoError(t, err)
		node.Spec.Unschedulable = true
		_, err = c.Nodes().Update(ctx, node)
		require.NoError(t, err)
		createPods(t, c, ns, pendingPod("wants-ssd-2", "100m", "64Mi", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }))
		framework.Eventually(t, 10*time.Second, func() bool {
			p, err := c.Pods(ns).Get(ctx, "wants-ssd-2")
			cond := podCondition(p, "PodScheduled")
			return err == nil && cond != nil && cond.GetStatus() == "False"
		}, "wants-ssd-2 marked unschedulable")
		p, err := c.Pods(ns).Get(ctx, "wants-ssd-2")
		require.NoError(t, err)
		require.Empty(t, p.GetSpec().GetNodeName())
		require.Contains(t, podCondition(p, "PodScheduled").GetMessage(), "ssd: node is unschedulable")

		node, err = c.Nodes().Get(ctx, "ssd")
		require.NoError(t, err)
		node.Spec.Unschedulable = false
		_, err = c.Nodes().Update(ctx, node)
		require.NoError(t, err)
		require.Equal(t, "ssd", waitBound(t, c, ns, "wants-ssd-2", 10*time.Second), "uncordoning brings the pod back")
	})

	t.Run("required anti-affinity spreads replicas over nodes", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			createPods(t, c, ns, pendingPod(fmt.Sprintf("ha-%d", i), "100m", "64Mi", func(p *corev1.Pod) {
				p.Metadata.Labels["app"] = "ha"
				p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: []*corev1.PodAffinityTerm{{
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ha"}},
						TopologyKey:   "kubernetes.io/hostname",
					}}}}
			}))
		}
		seen := map[string]bool{}
		for i := 0; i < 3; i++ {
			seen[waitBound(t, c, ns, fmt.Sprintf("ha-%d", i), 10*time.Second)] = true
		}
		require.Len(t, seen, 3, "three replicas on three nodes: %v", seen)
	})

	t.Run("bound pods are marked scheduled and counted", func(t *testing.T) {
		p, err := c.Pods(ns).Get(ctx, "wants-ssd")
		require.NoError(t, err)
		require.Equal(t, "True", podCondition(p, "PodScheduled").GetStatus())
		require.GreaterOrEqual(t, sched.Metric(t, `scheduler_schedule_attempts_total{result="scheduled"}`), float64(39))
		require.GreaterOrEqual(t, sched.Metric(t, `scheduler_schedule_attempts_total{result="unschedulable"}`), float64(1))
		require.GreaterOrEqual(t, sched.Metric(t, "scheduler_e2e_scheduling_duration_seconds_count"), float64(39))
		require.Equal(t, float64(1), sched.Metric(t, "scheduler_leader"))
	})

	t.Run("pods of other schedulers are left alone", func(t *testing.T) {
		createPods(t, c, ns, pendingPod("custom", "100m", "64Mi", func(p *corev1.Pod) { p.Spec.SchedulerName = "my-scheduler" }))
		createPods(t, c, ns, pendingPod("after-custom", "100m", "64Mi"))
		waitBound(t, c, ns, "after-custom", 10*time.Second)
		p, err := c.Pods(ns).Get(ctx, "custom")
		require.NoError(t, err)
		require.Empty(t, p.GetSpec().GetNodeName())
		require.Nil(t, podCondition(p, "PodScheduled"))
	})
}
