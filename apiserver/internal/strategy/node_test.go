package strategy

import (
	"testing"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func validNode() *corev1.Node {
	return defaulted(nodeStrategy{}, &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: "node-1"},
		Spec: &corev1.NodeSpec{
			PodCidr: "10.244.1.0/24",
			Taints:  []*corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"}},
		},
		Status: &corev1.NodeStatus{
			Capacity:        map[string]string{"cpu": "4", "memory": "8Gi", "pods": "110"},
			Addresses:       []*corev1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.1"}},
			DaemonEndpoints: &corev1.NodeDaemonEndpoints{KubeletEndpoint: &corev1.DaemonEndpoint{Port: 10250}},
		},
	})
}

func TestNodeDefault(t *testing.T) {
	n := validNode()
	if len(n.Spec.PodCidrs) != 1 || n.Spec.PodCidrs[0] != "10.244.1.0/24" {
		t.Errorf("podCIDRs = %v, want [podCIDR]", n.Spec.PodCidrs)
	}
	if n.Status.Allocatable["memory"] != "8Gi" || len(n.Status.Allocatable) != 3 {
		t.Errorf("allocatable = %v, want capacity", n.Status.Allocatable)
	}
	n2 := defaulted(nodeStrategy{}, &corev1.Node{Spec: &corev1.NodeSpec{PodCidrs: []string{"10.0.0.0/24", "fd00::/64"}}})
	if n2.Spec.PodCidr != "10.0.0.0/24" {
		t.Errorf("podCIDR = %q, want the first of podCIDRs", n2.Spec.PodCidr)
	}
}

func TestNodeValidate(t *testing.T) {
	runValidation(t, nodeStrategy{}, validNode, []fieldCase[*corev1.Node]{
		{"bad CIDR", func(n *corev1.Node) {
			n.Spec.PodCidr = "10.244.1.0/33"
			n.Spec.PodCidrs = []string{"10.244.1.0/33"}
		}, []string{"spec.podCIDRs[0]"}},
		{"taint without key", func(n *corev1.Node) { n.Spec.Taints[0].Key = "" }, []string{"spec.taints[0].key"}},
		{"taint with bad effect", func(n *corev1.Node) { n.Spec.Taints[0].Effect = "Evict" }, []string{"spec.taints[0].effect"}},
		{"duplicate taint", func(n *corev1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, &corev1.Taint{Key: "dedicated", Value: "cpu", Effect: "NoSchedule"})
		}, []string{"spec.taints[1]"}},
		{"bad capacity", func(n *corev1.Node) { n.Status.Capacity["cpu"] = "four" }, []string{"status.capacity[cpu]"}},
		{"bad kubelet port", func(n *corev1.Node) { n.Status.DaemonEndpoints.KubeletEndpoint.Port = -1 }, []string{"status.daemonEndpoints.kubeletEndpoint.Port"}},
		{"bad address type", func(n *corev1.Node) { n.Status.Addresses[0].Type = "Public" }, []string{"status.addresses[0].type"}},
	})
}

func TestNodeUpdate(t *testing.T) {
	runUpdate(t, nodeStrategy{}, validNode, []fieldCase[*corev1.Node]{
		{"unschedulable", func(n *corev1.Node) { n.Spec.Unschedulable = true }, nil},
		{"pod CIDR changed", func(n *corev1.Node) {
			n.Spec.PodCidr = "10.244.2.0/24"
			n.Spec.PodCidrs = []string{"10.244.2.0/24"}
		}, []string{"spec.podCIDRs"}},
		{"provider ID set", func(n *corev1.Node) { n.Spec.ProviderId = "keelson://node-1" }, nil},
	})
	withProvider := func() *corev1.Node {
		n := validNode()
		n.Spec.ProviderId = "keelson://node-1"
		return n
	}
	runUpdate(t, nodeStrategy{}, withProvider, []fieldCase[*corev1.Node]{
		{"provider ID changed", func(n *corev1.Node) { n.Spec.ProviderId = "other://x" }, []string{"spec.providerID"}},
	})
}

func TestNodeSelectableFields(t *testing.T) {
	n := validNode()
	n.Spec.Unschedulable = true
	f := nodeStrategy{}.SelectableFields(n)
	if f["spec.unschedulable"] != "true" || f["metadata.name"] != "node-1" || len(f) != 3 {
		t.Errorf("SelectableFields = %v", f)
	}
}
