package predicates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestNodeCondition(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		want string
	}{
		{name: "ready", node: fixture.Node("n").Obj()},
		{name: "not ready", node: fixture.Node("n").Condition("Ready", "False", "KubeletNotReady").Obj(),
			want: "node is not ready (Ready=False: KubeletNotReady)"},
		{name: "unknown", node: fixture.Node("n").Condition("Ready", "Unknown", "").Obj(), want: "node is not ready (Ready=Unknown)"},
		{name: "never reported", node: fixture.Node("n").NoConditions().Obj(), want: "node is not ready (no Ready condition reported)"},
		{name: "network unavailable", node: fixture.Node("n").Condition("NetworkUnavailable", "True", "NoRoute").Obj(),
			want: "node network is unavailable"},
		{name: "memory pressure alone does not rule a node out", node: fixture.Node("n").Condition("MemoryPressure", "True", "").Obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.NodeCondition{}, fixture.Pod("p").Obj(), tt.node))
		})
	}
}

func TestNodeUnschedulable(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		want string
	}{
		{name: "schedulable", node: fixture.Node("n").Obj(), pod: fixture.Pod("p").Obj()},
		{name: "cordoned", node: fixture.Node("n").Unschedulable().Obj(), pod: fixture.Pod("p").Obj(), want: "node is unschedulable"},
		{name: "cordoned, tolerated", node: fixture.Node("n").Unschedulable().Obj(),
			pod: fixture.Pod("p").Toleration("node.kubernetes.io/unschedulable", "Exists", "", "NoSchedule").Obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.NodeUnschedulable{}, tt.pod, tt.node))
		})
	}
}

func TestHostName(t *testing.T) {
	nodes := []*corev1.Node{fixture.Node("a").Obj(), fixture.Node("b").Obj()}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]string
	}{
		{name: "any node", pod: fixture.Pod("p").Obj(), want: map[string]string{"a": "", "b": ""}},
		{name: "spec.nodeName", pod: fixture.Pod("p").Node("b").Obj(),
			want: map[string]string{"a": "node is not the one the pod asks for (b)", "b": ""}},
		{name: "pinned by node affinity", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.NodeNameTerm("a")).Obj(),
			want: map[string]string{"a": "", "b": "node is not the one the pod asks for (a)"}},
		{name: "pinned to either of two", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.NodeNameTerm("a")).
			RequiredNodeAffinity(fixture.NodeNameTerm("b")).Obj(), want: map[string]string{"a": "", "b": ""}},
		{name: "a term without names does not pin", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.NodeNameTerm("a")).
			RequiredNodeAffinity(fixture.Expr("zone", "Exists")).Obj(), want: map[string]string{"a": "", "b": ""}},
		{name: "pinned to no node", pod: fixture.Pod("p").RequiredNodeAffinity(&corev1.NodeSelectorTerm{
			MatchFields: []*corev1.NodeSelectorRequirement{
				{Key: "metadata.name", Operator: "In", Values: []string{"a"}},
				{Key: "metadata.name", Operator: "In", Values: []string{"b"}},
			}}).Obj(), want: map[string]string{"*": "the pod's node affinity names no node"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filter(t, predicates.HostName{}, tt.pod, nodes))
		})
	}
}

func TestHostPorts(t *testing.T) {
	node := fixture.Node("n").Obj()
	tests := []struct {
		name   string
		pod    *corev1.Pod
		placed []*corev1.Pod
		want   string
	}{
		{name: "no ports", pod: fixture.Pod("p").Obj(), placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}},
		{name: "free port", pod: fixture.Pod("p").HostPort(8080, "TCP", "").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}},
		{name: "port in use", pod: fixture.Pod("p").HostPort(80, "TCP", "").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}, want: "host port 80/TCP already in use"},
		{name: "protocol defaults to TCP", pod: fixture.Pod("p").HostPort(80, "", "").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}, want: "host port 80/TCP already in use"},
		{name: "same port on UDP", pod: fixture.Pod("p").HostPort(53, "UDP", "").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(53, "TCP", "").Obj()}},
		{name: "different addresses", pod: fixture.Pod("p").HostPort(80, "TCP", "10.0.0.2").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "10.0.0.1").Obj()}},
		{name: "address against wildcard", pod: fixture.Pod("p").HostPort(80, "TCP", "10.0.0.2").Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}, want: "host port 10.0.0.2:80/TCP already in use"},
		{name: "host network pods share a container port", pod: fixture.Pod("p").HostNetwork(8080).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostNetwork(8080).Obj()}, want: "host port 8080/TCP already in use"},
		{name: "host network pod against a host port", pod: fixture.Pod("p").HostNetwork(80).Obj(),
			placed: []*corev1.Pod{fixture.Pod("q").HostPort(80, "TCP", "").Obj()}, want: "host port 80/TCP already in use"},
		{name: "container ports off the host network", pod: podNetwork(fixture.Pod("p").HostNetwork(8080).Obj()),
			placed: []*corev1.Pod{fixture.Pod("q").HostNetwork(8080).Obj()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.HostPorts{}, tt.pod, node, tt.placed...))
		})
	}
}

// podNetwork takes pod off the host's network, leaving its container ports without host ports.
func podNetwork(pod *corev1.Pod) *corev1.Pod {
	pod.Spec.HostNetwork = false
	return pod
}

func TestNodeSelector(t *testing.T) {
	node := fixture.Node("n").Label("disk", "ssd").Label("zone", "z1").Obj()
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{name: "no constraints", pod: fixture.Pod("p").Obj()},
		{name: "selector matches", pod: fixture.Pod("p").NodeSelector("disk", "ssd").Obj()},
		{name: "selector misses", pod: fixture.Pod("p").NodeSelector("disk", "hdd").Obj(),
			want: "node labels do not match the pod's node selector"},
		{name: "affinity matches", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.Expr("zone", "In", "z1", "z2")).Obj()},
		{name: "affinity misses", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.Expr("zone", "NotIn", "z1")).Obj(),
			want: "node does not match the pod's required node affinity"},
		{name: "both miss", pod: fixture.Pod("p").NodeSelector("disk", "hdd").RequiredNodeAffinity(fixture.Expr("gpu", "Exists")).Obj(),
			want: "node labels do not match the pod's node selector, node does not match the pod's required node affinity"},
		{name: "invalid affinity makes the pod unschedulable", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.Expr("zone", "Near", "z1")).Obj(),
			want: `pod: the pod's node constraints are invalid: nodeAffinity.required.nodeSelectorTerms[0]: matchExpressions[0]: "Near" is not a valid node selector operator`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.NodeSelector{}, tt.pod, node))
		})
	}
}

func TestTaintToleration(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		pod  *corev1.Pod
		want string
	}{
		{name: "no taints", node: fixture.Node("n").Obj(), pod: fixture.Pod("p").Obj()},
		{name: "NoSchedule repels", node: fixture.Node("n").Taint("dedicated", "gpu", "NoSchedule").Obj(), pod: fixture.Pod("p").Obj(),
			want: "taint dedicated=gpu:NoSchedule not tolerated"},
		{name: "NoExecute repels", node: fixture.Node("n").Taint("maintenance", "", "NoExecute").Obj(), pod: fixture.Pod("p").Obj(),
			want: "taint maintenance:NoExecute not tolerated"},
		{name: "PreferNoSchedule does not", node: fixture.Node("n").Taint("spot", "", "PreferNoSchedule").Obj(), pod: fixture.Pod("p").Obj()},
		{name: "toleration admits", node: fixture.Node("n").Taint("dedicated", "gpu", "NoSchedule").Obj(),
			pod: fixture.Pod("p").Toleration("dedicated", "Equal", "gpu", "NoSchedule").Obj()},
		{name: "toleration for another value does not", node: fixture.Node("n").Taint("dedicated", "gpu", "NoSchedule").Obj(),
			pod: fixture.Pod("p").Toleration("dedicated", "Equal", "db", "NoSchedule").Obj(), want: "taint dedicated=gpu:NoSchedule not tolerated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filterOne(t, predicates.TaintToleration{}, tt.pod, tt.node))
		})
	}
}
