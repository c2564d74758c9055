package noderestriction

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// fakeNodes holds nodes by name.
type fakeNodes map[string]*corev1.Node

func (f fakeNodes) Get(_ context.Context, _, name string, _ registry.GetOptions) (scheme.Object, error) {
	if n, ok := f[name]; ok {
		return n, nil
	}
	return nil, apierrors.NewNotFound("", "nodes", name)
}

func kubelet(name string) *user.Info {
	return &user.Info{Name: user.NodeUserPrefix + name, Groups: []string{user.NodesGroup}}
}

func nodeObj(name string, mutate ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: name, Uid: name + "-uid", Labels: map[string]string{"kubernetes.io/hostname": name}},
		Spec:     &corev1.NodeSpec{PodCidr: "10.0.0.0/24"},
		Status: &corev1.NodeStatus{
			Addresses:       []*corev1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.2"}},
			DaemonEndpoints: &corev1.NodeDaemonEndpoints{KubeletEndpoint: &corev1.DaemonEndpoint{Port: 10250}},
		},
	}
	for _, m := range mutate {
		m(n)
	}
	return n
}

func mirrorPod(node string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	ctrl := true
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Namespace: "kube-system", Name: "static-" + node,
			Annotations:     map[string]string{MirrorAnnotation: "hash"},
			OwnerReferences: []*metav1.OwnerReference{{ApiVersion: "v1", Kind: "Node", Name: node, Uid: node + "-uid", Controller: &ctrl}}},
		Spec: &corev1.PodSpec{NodeName: node, Containers: []*corev1.Container{{Name: "c", Image: "i"}}},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func boundPod(node string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Namespace: "ns", Name: "p-" + node}, Spec: &corev1.PodSpec{NodeName: node}}
}

func TestAdmit(t *testing.T) {
	sch := scheme.Builtin()
	kind := func(group, k string) *scheme.Kind {
		for _, kk := range sch.Kinds() {
			if kk.Group == group && kk.Kind == k {
				return kk
			}
		}
		t.Fatalf("no kind %s", k)
		return nil
	}
	nodeK, podK, leaseK := kind("", "Node"), kind("", "Pod"), kind(scheme.GroupCoordination, "Lease")
	create := func(k *scheme.Kind, obj scheme.Object) registry.Attributes {
		m := obj.GetMetadata()
		return registry.Attributes{Operation: registry.OperationCreate, Kind: k, Namespace: m.GetNamespace(), Name: m.GetName(), Object: obj}
	}
	update := func(k *scheme.Kind, sub string, obj, old scheme.Object) registry.Attributes {
		m := obj.GetMetadata()
		return registry.Attributes{Operation: registry.OperationUpdate, Subresource: sub, Kind: k, Namespace: m.GetNamespace(), Name: m.GetName(), Object: obj, Old: old}
	}
	del := func(k *scheme.Kind, old scheme.Object) registry.Attributes {
		m := old.GetMetadata()
		return registry.Attributes{Operation: registry.OperationDelete, Kind: k, Namespace: m.GetNamespace(), Name: m.GetName(), Old: old}
	}
	admin := &user.Info{Name: "keelson-admin", Groups: []string{user.SystemPrivilegedGroup}}
	scheduler := &user.Info{Name: user.KubeScheduler}
	moved := func(n *corev1.Node) { n.Status.Addresses[0].Address = "169.254.169.254" }
	tests := []struct {
		name    string
		user    *user.Info // nil: the apiserver's own work
		attrs   registry.Attributes
		allowed bool
	}{
		{"mirror pod", kubelet("a"), create(podK, mirrorPod("a")), true},
		{"mirror pod without owner", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) { p.Metadata.OwnerReferences = nil })), true},
		{"pod that is not a mirror pod", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) { p.Metadata.Annotations = nil })), false},
		{"mirror pod bound to another node", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) { p.Spec.NodeName = "b" })), false},
		{"mirror pod owned by another node", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Metadata.OwnerReferences[0].Name = "b"
		})), false},
		{"mirror pod owned by a stale node uid", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Metadata.OwnerReferences[0].Uid = "old"
		})), false},
		{"mirror pod owned by a deployment", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Metadata.OwnerReferences[0].Kind = "ReplicaSet"
		})), false},
		{"mirror pod with a secret", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Spec.Volumes = []*corev1.Volume{{Name: "s", Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}
		})), false},
		{"mirror pod with a config map env", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []*corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{Name: "c"}}}
		})), false},
		{"mirror pod with a service account", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "default" })), false},
		{"mirror pod with a token projection", kubelet("a"), create(podK, mirrorPod("a", func(p *corev1.Pod) {
			p.Spec.Volumes = []*corev1.Volume{{Name: "t", Projected: &corev1.ProjectedVolumeSource{Sources: []*corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}
		})), false},
		{"update a pod's spec", kubelet("a"), update(podK, "", boundPod("a"), boundPod("a")), false},
		{"own pod's status", kubelet("a"), update(podK, "status", boundPod("a"), boundPod("a")), true},
		{"other node's pod status", kubelet("a"), update(podK, "status", boundPod("b"), boundPod("b")), false},
		{"delete own pod", kubelet("a"), del(podK, boundPod("a")), true},
		{"delete other node's pod", kubelet("a"), del(podK, boundPod("b")), false},
		{"delete unbound pod", kubelet("a"), del(podK, boundPod("")), false},
		{"scheduler writes pods", scheduler, update(podK, "", boundPod("b"), boundPod("b")), true},

		{"register own node", kubelet("a"), create(nodeK, nodeObj("a")), true},
		{"register another node", kubelet("a"), create(nodeK, nodeObj("b")), false},
		{"register with a restricted label", kubelet("a"), create(nodeK, nodeObj("a", func(n *corev1.Node) {
			n.Metadata.Labels["node-restriction.kubernetes.io/pool"] = "x"
		})), false},
		{"update own node's labels", kubelet("a"), update(nodeK, "", nodeObj("a", func(n *corev1.Node) { n.Metadata.Labels["x"] = "y" }), nodeObj("a")), true},
		{"add a restricted label", kubelet("a"), update(nodeK, "", nodeObj("a", func(n *corev1.Node) {
			n.Metadata.Labels["node-restriction.kubernetes.io/pool"] = "x"
		}), nodeObj("a")), false},
		{"drop a restricted sub-domain label", kubelet("a"), update(nodeK, "", nodeObj("a"), nodeObj("a", func(n *corev1.Node) {
			n.Metadata.Labels["team.node-restriction.kubernetes.io/x"] = "y"
		})), false},
		{"remove own taint", kubelet("a"), update(nodeK, "", nodeObj("a"), nodeObj("a", func(n *corev1.Node) {
			n.Spec.Taints = []*corev1.Taint{{Key: "k", Effect: "NoSchedule"}}
		})), false},
		{"change own pod CIDR", kubelet("a"), update(nodeK, "", nodeObj("a", func(n *corev1.Node) { n.Spec.PodCidr = "10.1.0.0/24" }), nodeObj("a")), false},
		{"update node b", kubelet("a"), update(nodeK, "", nodeObj("b"), nodeObj("b")), false},
		{"own node's addresses", kubelet("a"), update(nodeK, "status", nodeObj("a", moved), nodeObj("a")), true},
		{"node b's addresses", kubelet("a"), update(nodeK, "status", nodeObj("b", moved), nodeObj("b")), false},
		{"delete node b", kubelet("a"), del(nodeK, nodeObj("b")), false},
		{"delete own node", kubelet("a"), del(nodeK, nodeObj("a")), true},
		{"another user moves a node's addresses", scheduler, update(nodeK, "status", nodeObj("b", moved), nodeObj("b")), false},
		{"another user moves the kubelet port", scheduler, update(nodeK, "status", nodeObj("b", func(n *corev1.Node) {
			n.Status.DaemonEndpoints.KubeletEndpoint.Port = 2379
		}), nodeObj("b")), false},
		{"another user creates a node with addresses", scheduler, create(nodeK, nodeObj("b")), false},
		{"another user creates a node without addresses", scheduler, create(nodeK, nodeObj("b", func(n *corev1.Node) { n.Status = nil })), true},
		{"another user writes node conditions", scheduler, update(nodeK, "status", nodeObj("b", func(n *corev1.Node) {
			n.Status.Conditions = []*corev1.NodeCondition{{Type: "Ready", Status: "Unknown"}}
		}), nodeObj("b")), true},
		{"another user cordons a node", scheduler, update(nodeK, "", nodeObj("b", func(n *corev1.Node) { n.Spec.Unschedulable = true }), nodeObj("b")), true},
		{"system:masters moves addresses", admin, update(nodeK, "status", nodeObj("b", moved), nodeObj("b")), true},
		{"the apiserver's own work", nil, update(nodeK, "status", nodeObj("b", moved), nodeObj("b")), true},

		{"own lease", kubelet("a"), create(leaseK, &coordinationv1.Lease{Metadata: &metav1.ObjectMeta{Namespace: "kube-node-lease", Name: "a"}}), true},
		{"lease of b", kubelet("a"), create(leaseK, &coordinationv1.Lease{Metadata: &metav1.ObjectMeta{Namespace: "kube-node-lease", Name: "b"}}), false},

		{"node group without a node name", &user.Info{Name: "x", Groups: []string{user.NodesGroup}}, create(podK, mirrorPod("a")), false},
	}
	ad := NewWith(fakeNodes{"a": nodeObj("a"), "b": nodeObj("b")})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.user != nil {
				ctx = user.NewContext(ctx, tt.user)
			}
			err := ad.Admit(ctx, tt.attrs)
			if tt.allowed {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, apierrors.IsForbidden(err), "%v", err)
		})
	}
}
