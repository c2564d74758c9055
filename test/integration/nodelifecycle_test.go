package integration

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	apiserver "github.com/keelson-dev/keelson/apiserver/server"
	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// nodeTaints returns a node's taints as key:effect.
func nodeTaints(n *corev1.Node) []string {
	var out []string
	for _, t := range n.GetSpec().GetTaints() {
		out = append(out, t.GetKey()+":"+t.GetEffect())
	}
	return out
}

// livePodsOf returns the pods labelled app=<app> that are not being deleted, by node.
func livePodsOf(ctx context.Context, c *client.Client, app string) (map[string][]*corev1.Pod, error) {
	pods, err := liveAppPods(ctx, c, app)
	if err != nil {
		return nil, err
	}
	out := map[string][]*corev1.Pod{}
	for _, p := range pods {
		out[p.GetSpec().GetNodeName()] = append(out[p.GetSpec().GetNodeName()], p)
	}
	return out, nil
}

// TestNodeLifecycleEvictsAndRecovers runs two hollow kubelets, the scheduler and a controller
// manager with the replicaset, nodelifecycle and podgc controllers on short periods. Stopping
// the kubelet of a node with pods makes the node Ready=Unknown with the unreachable taints
// after the grace period; its pods, given two-second unreachable tolerations by the apiserver's
// admission, are evicted after that; the ReplicaSet's replacements land on the other node. Restarting the kubelet clears the
// taints and brings the node's own conditions back.
func TestNodeLifecycleEvictsAndRecovers(t *testing.T) {
	const grace = 4 * time.Second
	cl := framework.StartCluster(t, framework.Options{Configure: func(cfg *apiserver.Config) {
		cfg.DefaultNotReadyTolerationSeconds, cfg.DefaultUnreachableTolerationSeconds = 2, 2
	}})
	c, ctx := cl.Client(), testContext(t)
	hollow := framework.KubeletOptions{Runtime: "hollow"}
	kubelets := map[string]*framework.Kubelet{}
	for range 2 {
		k := framework.StartKubelet(t, cl, hollow)
		kubelets[k.Server.NodeName()] = k
	}
	framework.Eventually(t, 30*time.Second, func() bool {
		list, err := c.Nodes().List(ctx, client.ListOptions{})
		if err != nil || len(list.Items) != 2 {
			return false
		}
		for _, n := range list.Items {
			if nodeCondition(n, "Ready").GetStatus() != "True" {
				return false
			}
		}
		return true
	}, "both nodes Ready")
	framework.StartScheduler(t, cl.Endpoints(), nil)
	framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 10*time.Second, 8*time.Second, 200*time.Millisecond
		cfg.Controllers.Controllers = []string{"replicaset", "nodelifecycle", "podgc"}
		n := &cfg.Controllers.Node
		n.NodeMonitorGracePeriod, n.NodeMonitorPeriod = grace, 250*time.Millisecond
	})

	labels := map[string]string{"app": "evicted"}
	tmpl := template(labels, "Always")
	replicas := int32(4)
	_, err := c.ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: "web"},
		Spec:     &appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector(labels), Template: tmpl},
	})
	require.NoError(t, err)

	var victim, survivor string
	var victimPods []string
	framework.Eventually(t, 60*time.Second, func() bool {
		byNode, err := livePodsOf(ctx, c, "evicted")
		if err != nil {
			return false
		}
		running := 0
		for node, pods := range byNode {
			for _, p := range pods {
				if p.GetStatus().GetPhase() == "Running" {
					running++
				}
			}
			if node != "" && len(pods) > 0 && victim == "" {
				victim = node
			}
		}
		if running != int(replicas) {
			victim = ""
			return false
		}
		victimPods = nil
		for _, p := range byNode[victim] {
			victimPods = append(victimPods, p.GetMetadata().GetName())
		}
		return true
	}, "four pods running")
	for name := range kubelets {
		if name != victim {
			survivor = name
		}
	}
	t.Logf("stopping the kubelet of %s, which runs %v", victim, victimPods)
	p, err := c.Pods("default").Get(ctx, victimPods[0])
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(p.GetSpec().GetTolerations(), func(tol *corev1.Toleration) bool {
		return tol.GetKey() == "node.kubernetes.io/unreachable" && tol.GetTolerationSeconds() == 2
	}), "admission added the unreachable toleration: %v", p.GetSpec().GetTolerations())

	var sn *corev1.Node
	stopped := time.Now()
	require.NoError(t, kubelets[victim].Stop())
	framework.Eventually(t, 30*time.Second, func() bool {
		n, err := c.Nodes().Get(ctx, victim)
		ready := nodeCondition(n, "Ready")
		return err == nil && ready.GetStatus() == "Unknown" && ready.GetReason() == "NodeStatusUnknown" &&
			slices.Contains(nodeTaints(n), "node.kubernetes.io/unreachable:NoExecute") &&
			slices.Contains(nodeTaints(n), "node.kubernetes.io/unreachable:NoSchedule")
	}, "node %s Unknown and tainted unreachable", victim)
	// The last renewal came up to a second or so before the stop: allow for it, and for load.
	require.GreaterOrEqual(t, time.Since(stopped), grace/2, "not before the grace period")
	sn, err = c.Nodes().Get(ctx, survivor)
	require.NoError(t, err)
	require.Equal(t, "True", nodeCondition(sn, "Ready").GetStatus())
	require.Empty(t, nodeTaints(sn), "the live node is not tainted")

	framework.Eventually(t, 30*time.Second, func() bool {
		for _, name := range victimPods {
			p, err := c.Pods("default").Get(ctx, name)
			if err == nil && p.GetMetadata().GetDeletionTimestamp() == nil {
				return false
			}
		}
		return true
	}, "the pods of %s are evicted", victim)
	framework.Eventually(t, 60*time.Second, func() bool {
		byNode, err := livePodsOf(ctx, c, "evicted")
		if err != nil || len(byNode[survivor]) != int(replicas) || len(byNode) != 1 {
			return false
		}
		for _, p := range byNode[survivor] {
			if p.GetStatus().GetPhase() != "Running" {
				return false
			}
		}
		return true
	}, "all four pods run on %s", survivor)

	cfg := kubelets[victim].Config
	framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: victim, NodeIP: cfg.NodeIP, Runtime: "hollow",
		Configure: func(c *kubeletserver.Config) { *c = cfg },
	})
	framework.Eventually(t, 30*time.Second, func() bool {
		n, err := c.Nodes().Get(ctx, victim)
		return err == nil && nodeCondition(n, "Ready").GetStatus() == "True" && len(nodeTaints(n)) == 0 &&
			nodeCondition(n, "MemoryPressure").GetStatus() == "False"
	}, "node %s back: Ready, no taints", victim)
	// The restarted kubelet confirms the deletion of the evicted pods.
	framework.Eventually(t, 30*time.Second, func() bool {
		list, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "app=evicted"})
		return err == nil && len(list.Items) == int(replicas)
	}, "the evicted pods are gone")
}

// TestDefaultTolerationSeconds creates pods through the apiserver: one without tolerations gets
// the not-ready and unreachable NoExecute tolerations for 300 s, one tolerating every taint
// keeps just that.
func TestDefaultTolerationSeconds(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	c, ctx := cl.Client(), testContext(t)
	plain, err := c.Pods("default").Create(ctx, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "plain"}, Spec: podSpec("busybox:1.36")})
	require.NoError(t, err)
	var got []string
	for _, tol := range plain.GetSpec().GetTolerations() {
		got = append(got, fmt.Sprintf("%s:%s:%s:%d", tol.GetKey(), tol.GetOperator(), tol.GetEffect(), tol.GetTolerationSeconds()))
	}
	require.Equal(t, []string{"node.kubernetes.io/not-ready:Exists:NoExecute:300", "node.kubernetes.io/unreachable:Exists:NoExecute:300"}, got)

	spec := podSpec("busybox:1.36")
	spec.Tolerations = []*corev1.Toleration{{Operator: "Exists"}}
	all, err := c.Pods("default").Create(ctx, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "all"}, Spec: spec})
	require.NoError(t, err)
	require.Len(t, all.GetSpec().GetTolerations(), 1)
	require.True(t, proto.Equal(&corev1.Toleration{Operator: "Exists"}, all.GetSpec().GetTolerations()[0]))
}
