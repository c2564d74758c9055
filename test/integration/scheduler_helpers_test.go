package integration

import (
	"context"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

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
