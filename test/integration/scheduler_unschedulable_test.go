package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestUnschedulablePodIsExplainedThenPlaced checks a pod that fits nowhere: it gets a
// FailedScheduling event and a PodScheduled=False condition saying, node by node, why; it is
// placed as soon as a fitting node appears; and a pod waiting for room gets it when another pod
// is deleted.
func TestUnschedulablePodIsExplainedThenPlaced(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	const ns = "default"
	createNodes(t, c,
		fakeNode("node-a", "4", "8Gi"),
		fakeNode("node-b", "4", "8Gi", withTaint("dedicated", "gpu", "NoSchedule")),
		fakeNode("node-c", "4", "8Gi", cordoned),
	)
	// A pod already running on node-a takes 2.5 of its 4 cpus.
	createPods(t, c, ns, pendingPod("busy", "2500m", "1Gi", func(p *corev1.Pod) { p.Spec.NodeName = "node-a" }))
	framework.StartScheduler(t, cl.Endpoints(), nil)

	createPods(t, c, ns, pendingPod("web", "2", "1Gi"))
	const want = "0/3 nodes are available: node-a: insufficient cpu (requested 2, free 1.5); " +
		"node-b: taint dedicated=gpu:NoSchedule not tolerated; node-c: node is unschedulable"

	var event *corev1.Event
	framework.Eventually(t, 10*time.Second, func() bool {
		list, err := c.Events(ns).List(ctx, client.ListOptions{})
		if err != nil {
			return false
		}
		for _, ev := range list.Items {
			if ev.GetInvolvedObject().GetName() == "web" && ev.GetReason() == "FailedScheduling" {
				event = ev
				return true
			}
		}
		return false
	}, "a FailedScheduling event for web")
	web, err := c.Pods(ns).Get(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, want, event.GetMessage())
	require.Equal(t, "Warning", event.GetType())
	require.Equal(t, "default-scheduler", event.GetSource().GetComponent())
	require.Equal(t, "Pod", event.GetInvolvedObject().GetKind())
	require.Equal(t, ns, event.GetInvolvedObject().GetNamespace())
	require.Equal(t, web.GetMetadata().GetUid(), event.GetInvolvedObject().GetUid())

	framework.Eventually(t, 10*time.Second, func() bool {
		p, err := c.Pods(ns).Get(ctx, "web")
		return err == nil && podCondition(p, "PodScheduled") != nil
	}, "web has a PodScheduled condition")
	web, err = c.Pods(ns).Get(ctx, "web")
	require.NoError(t, err)
	cond := podCondition(web, "PodScheduled")
	require.Equal(t, "False", cond.GetStatus())
	require.Equal(t, "Unschedulable", cond.GetReason())
	require.Equal(t, want, cond.GetMessage())
	require.Empty(t, web.GetSpec().GetNodeName())

	// A node that fits appears: the pod is placed at once, not after its backoff.
	start := time.Now()
	createNodes(t, c, fakeNode("node-d", "4", "8Gi"))
	require.Equal(t, "node-d", waitBound(t, c, ns, "web", 10*time.Second))
	took := time.Since(start)
	t.Logf("placed %s after node-d was created", took)
	require.Less(t, took, 900*time.Millisecond, "placed on the node's arrival, before the first 1s backoff could have passed")
	web, err = c.Pods(ns).Get(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, "True", podCondition(web, "PodScheduled").GetStatus(), "the binding marks the pod scheduled")
	framework.Eventually(t, 10*time.Second, func() bool {
		list, err := c.Events(ns).List(ctx, client.ListOptions{FieldSelector: "involvedObject.name=web,reason=Scheduled"})
		if err != nil || len(list.Items) != 1 {
			return false
		}
		event = list.Items[0]
		return true
	}, "a Scheduled event for web")
	require.Equal(t, "Normal", event.GetType())
	require.Equal(t, "Successfully assigned default/web to node-d", event.GetMessage())
	require.Equal(t, web.GetMetadata().GetUid(), event.GetInvolvedObject().GetUid())

	// node-d now has 2 cpus left and node-a 1.5: a pod for 3 waits until busy is deleted.
	createPods(t, c, ns, pendingPod("batch", "3", "1Gi"))
	framework.Eventually(t, 10*time.Second, func() bool {
		p, err := c.Pods(ns).Get(ctx, "batch")
		cond := podCondition(p, "PodScheduled")
		return err == nil && cond != nil && cond.GetStatus() == "False"
	}, "batch marked unschedulable")
	p, err := c.Pods(ns).Get(ctx, "batch")
	require.NoError(t, err)
	require.Equal(t, "0/4 nodes are available: node-a: insufficient cpu (requested 3, free 1.5); "+
		"node-b: taint dedicated=gpu:NoSchedule not tolerated; node-c: node is unschedulable; "+
		"node-d: insufficient cpu (requested 3, free 2)", podCondition(p, "PodScheduled").GetMessage())
	zero := int64(0)
	require.NoError(t, c.Pods(ns).Delete(ctx, "busy", client.DeleteOptions{GracePeriodSeconds: &zero}))
	require.Equal(t, "node-a", waitBound(t, c, ns, "batch", 10*time.Second))
}
