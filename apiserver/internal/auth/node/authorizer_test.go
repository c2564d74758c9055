package node

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func kubelet(node string) *user.Info {
	return &user.Info{Name: user.NodeUserPrefix + node, Groups: []string{user.NodesGroup, user.AllAuthenticated}}
}

// podOn returns a pod in ns bound to node that references a secret and config map through a
// volume, env, envFrom, imagePullSecrets and a projected volume, a claim and a service account.
func podOn(ns, name, node string) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name, Uid: name + "-uid"},
		Spec: &corev1.PodSpec{
			NodeName:           node,
			ServiceAccountName: name + "-sa",
			ImagePullSecrets:   []*corev1.LocalObjectReference{{Name: name + "-pull"}},
			Volumes: []*corev1.Volume{
				{Name: "s", Secret: &corev1.SecretVolumeSource{SecretName: name + "-vol"}},
				{Name: "c", ConfigMap: &corev1.ConfigMapVolumeSource{Name: name + "-cm"}},
				{Name: "p", PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name + "-pvc"}},
				{Name: "j", Projected: &corev1.ProjectedVolumeSource{Sources: []*corev1.VolumeProjection{
					{Secret: &corev1.SecretProjection{Name: name + "-proj"}},
					{ConfigMap: &corev1.ConfigMapProjection{Name: "kube-root-ca.crt"}},
				}}},
			},
			InitContainers: []*corev1.Container{{Name: "i", EnvFrom: []*corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{Name: name + "-envfrom"}},
			}}},
			Containers: []*corev1.Container{{Name: "c", Env: []*corev1.EnvVar{
				{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{Name: name + "-env", Key: "k"}}},
				{Name: "B", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Name: name + "-envcm", Key: "k"}}},
			}}},
		},
	}
}

func TestPodReferencesCoverEverySource(t *testing.T) {
	got := PodReferences(podOn("ns", "p", "a"))
	require.ElementsMatch(t, []Ref{
		{KindServiceAccount, "p-sa"}, {KindSecret, "p-pull"}, {KindSecret, "p-vol"}, {KindConfigMap, "p-cm"},
		{KindPVC, "p-pvc"}, {KindSecret, "p-proj"}, {KindConfigMap, "kube-root-ca.crt"},
		{KindSecret, "p-envfrom"}, {KindSecret, "p-env"}, {KindConfigMap, "p-envcm"},
	}, got)
}

func TestAuthorizer(t *testing.T) {
	g := NewGraph()
	g.SetPod(podOn("ns", "pa", "a"))
	g.SetPod(podOn("ns", "pb", "b"))
	// A second pod of a and a pod of b share the config map kube-root-ca.crt.
	g.SetPod(podOn("ns", "pa2", "a"))
	unbound := podOn("ns", "pending", "")
	g.SetPod(unbound)
	az := New(g)

	res := func(verb, resource, sub, ns, name string) authz.Attributes {
		return authz.Attributes{User: kubelet("a"), Verb: verb, ResourceRequest: true, APIVersion: "v1",
			Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	grouped := func(group, verb, resource, ns, name string) authz.Attributes {
		a := res(verb, resource, "", ns, name)
		a.APIGroup = group
		return a
	}
	tests := []struct {
		name  string
		attrs authz.Attributes
		want  authz.Decision
	}{
		{"get own pod", res("get", "pods", "", "ns", "pa"), authz.Allow},
		{"get pod of another node", res("get", "pods", "", "ns", "pb"), authz.NoOpinion},
		{"get unbound pod", res("get", "pods", "", "ns", "pending"), authz.NoOpinion},
		{"get missing pod", res("get", "pods", "", "ns", "nope"), authz.NoOpinion},
		{"list pods", res("list", "pods", "", "", ""), authz.Allow},
		{"watch pods", res("watch", "pods", "", "", ""), authz.Allow},
		{"create mirror pod", res("create", "pods", "", "ns", ""), authz.Allow},
		{"delete pod", res("delete", "pods", "", "ns", "pa"), authz.Allow},
		{"update own pod status", res("update", "pods", "status", "ns", "pa"), authz.Allow},
		{"patch own pod status", res("patch", "pods", "status", "ns", "pa"), authz.Allow},
		{"update other node's pod status", res("update", "pods", "status", "ns", "pb"), authz.NoOpinion},
		{"update pod spec", res("update", "pods", "", "ns", "pa"), authz.NoOpinion},
		{"bind pod", res("create", "pods", "binding", "ns", "pa"), authz.NoOpinion},
		{"evict pod", res("create", "pods", "eviction", "ns", "pa"), authz.Allow},
		{"pod log", res("get", "pods", "log", "ns", "pa"), authz.NoOpinion},

		{"secret in a volume", res("get", "secrets", "", "ns", "pa-vol"), authz.Allow},
		{"secret in env", res("get", "secrets", "", "ns", "pa-env"), authz.Allow},
		{"secret in envFrom of an init container", res("get", "secrets", "", "ns", "pa-envfrom"), authz.Allow},
		{"image pull secret", res("get", "secrets", "", "ns", "pa-pull"), authz.Allow},
		{"projected secret", res("get", "secrets", "", "ns", "pa-proj"), authz.Allow},
		{"watch one secret", res("watch", "secrets", "", "ns", "pa-vol"), authz.Allow},
		{"secret of another node's pod", res("get", "secrets", "", "ns", "pb-vol"), authz.NoOpinion},
		{"secret of an unbound pod", res("get", "secrets", "", "ns", "pending-vol"), authz.NoOpinion},
		{"secret in another namespace", res("get", "secrets", "", "other", "pa-vol"), authz.NoOpinion},
		{"list every secret", res("list", "secrets", "", "ns", ""), authz.NoOpinion},
		{"update a used secret", res("update", "secrets", "", "ns", "pa-vol"), authz.NoOpinion},
		{"config map", res("get", "configmaps", "", "ns", "pa-cm"), authz.Allow},
		{"shared config map", res("get", "configmaps", "", "ns", "kube-root-ca.crt"), authz.Allow},
		{"claim", res("get", "persistentvolumeclaims", "", "ns", "pa-pvc"), authz.Allow},
		{"service account", res("get", "serviceaccounts", "", "ns", "pa-sa"), authz.Allow},
		{"other service account", res("get", "serviceaccounts", "", "ns", "pb-sa"), authz.NoOpinion},
		{"token of own pod's account", res("create", "serviceaccounts", "token", "ns", "pa-sa"), authz.Allow},
		{"token of another account", res("create", "serviceaccounts", "token", "ns", "pb-sa"), authz.NoOpinion},

		{"get any node", res("get", "nodes", "", "", "b"), authz.Allow},
		{"list nodes", res("list", "nodes", "", "", ""), authz.Allow},
		{"create own node", res("create", "nodes", "", "", ""), authz.Allow},
		{"update own node", res("update", "nodes", "", "", "a"), authz.Allow},
		{"patch own node status", res("patch", "nodes", "status", "", "a"), authz.Allow},
		{"update node b", res("update", "nodes", "", "", "b"), authz.NoOpinion},
		{"update node b's status", res("update", "nodes", "status", "", "b"), authz.NoOpinion},
		{"delete node b", res("delete", "nodes", "", "", "b"), authz.NoOpinion},

		{"own lease", grouped("coordination.k8s.io", "update", "leases", LeaseNamespace, "a"), authz.Allow},
		{"create lease", grouped("coordination.k8s.io", "create", "leases", LeaseNamespace, ""), authz.Allow},
		{"lease of b", grouped("coordination.k8s.io", "update", "leases", LeaseNamespace, "b"), authz.NoOpinion},
		{"lease elsewhere", grouped("coordination.k8s.io", "get", "leases", "kube-system", "a"), authz.NoOpinion},
		{"list services", res("list", "services", "", "", ""), authz.Allow},
		{"watch services", res("watch", "services", "", "", ""), authz.Allow},
		{"get a service", res("get", "services", "", "default", "kubernetes"), authz.Allow},
		{"update a service", res("update", "services", "", "default", "kubernetes"), authz.NoOpinion},
		{"service status", res("update", "services", "status", "default", "kubernetes"), authz.NoOpinion},
		{"get endpoints", res("get", "endpoints", "", "default", "kubernetes"), authz.Allow},
		{"list endpoints", res("list", "endpoints", "", "", ""), authz.NoOpinion},
		{"create event", res("create", "events", "", "ns", ""), authz.Allow},
		{"patch event", res("patch", "events", "", "ns", "e"), authz.Allow},
		{"delete event", res("delete", "events", "", "ns", "e"), authz.NoOpinion},
		{"list services", res("list", "services", "", "", ""), authz.Allow},
		{"watch services", res("watch", "services", "", "", ""), authz.Allow},
		{"get a service", res("get", "services", "", "ns", "s"), authz.Allow},
		{"update a service", res("update", "services", "", "ns", "s"), authz.NoOpinion},
		{"service status", res("update", "services", "status", "ns", "s"), authz.NoOpinion},
		{"create csr", grouped("certificates.k8s.io", "create", "certificatesigningrequests", "", ""), authz.Allow},
		{"approve csr", authz.Attributes{User: kubelet("a"), Verb: "update", ResourceRequest: true, APIGroup: "certificates.k8s.io",
			Resource: "certificatesigningrequests", Subresource: "approval", Name: "x"}, authz.NoOpinion},
		{"deployments", grouped("apps", "list", "deployments", "ns", ""), authz.NoOpinion},
		{"non-resource", authz.Attributes{User: kubelet("a"), Verb: "get", Path: "/healthz"}, authz.NoOpinion},

		{"not a node", authz.Attributes{User: &user.Info{Name: "system:node:a"}, Verb: "get", ResourceRequest: true,
			Resource: "pods", Namespace: "ns", Name: "pa"}, authz.NoOpinion},
		{"node group without node name", authz.Attributes{User: &user.Info{Name: "alice", Groups: []string{user.NodesGroup}},
			Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns", Name: "pa"}, authz.NoOpinion},
		{"no user", authz.Attributes{Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "ns", Name: "pa"}, authz.NoOpinion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := az.Authorize(context.Background(), tt.attrs)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestGraphFollowsPodChanges(t *testing.T) {
	secret := func(g *Graph, node, name string) bool { return g.NodeReferences(node, KindSecret, "ns", name) }
	steps := []struct {
		name  string
		do    func(g *Graph)
		check func(t require.TestingT, g *Graph)
	}{
		{"bound pod's secret is reachable", func(g *Graph) { g.SetPod(podOn("ns", "p", "a")) }, func(t require.TestingT, g *Graph) {
			require.True(t, secret(g, "a", "p-vol"))
			require.False(t, secret(g, "b", "p-vol"))
		}},
		{"a second pod shares the secret", func(g *Graph) {
			p := podOn("ns", "q", "a")
			p.Spec.Volumes[0].Secret.SecretName = "p-vol"
			g.SetPod(p)
		}, func(t require.TestingT, g *Graph) { require.True(t, secret(g, "a", "p-vol")) }},
		{"the first pod goes, the second still holds it", func(g *Graph) { g.DeletePod("ns", "p") }, func(t require.TestingT, g *Graph) {
			require.True(t, secret(g, "a", "p-vol"))
			require.False(t, secret(g, "a", "p-env"), "only p referenced p-env")
			_, _, ok := g.PodNode("ns", "p")
			require.False(t, ok)
		}},
		{"an update that drops the reference", func(g *Graph) {
			p := podOn("ns", "q", "a")
			p.Spec.Volumes = nil
			g.SetPod(p)
		}, func(t require.TestingT, g *Graph) { require.False(t, secret(g, "a", "p-vol")) }},
		{"a pod moved to another node", func(g *Graph) { g.SetPod(podOn("ns", "q", "b")) }, func(t require.TestingT, g *Graph) {
			require.False(t, secret(g, "a", "q-vol"))
			require.True(t, secret(g, "b", "q-vol"))
			n, uid, ok := g.PodNode("ns", "q")
			require.True(t, ok)
			require.Equal(t, "b", n)
			require.Equal(t, "q-uid", uid)
		}},
		{"replace forgets what the list lacks", func(g *Graph) { g.Replace([]*corev1.Pod{podOn("ns", "r", "a")}) }, func(t require.TestingT, g *Graph) {
			require.False(t, secret(g, "b", "q-vol"))
			require.True(t, secret(g, "a", "r-vol"))
		}},
		{"deleting the last pod empties the graph", func(g *Graph) { g.DeletePod("ns", "r") }, func(t require.TestingT, g *Graph) {
			require.Empty(t, g.pods)
			require.Empty(t, g.refs)
		}},
	}
	g := NewGraph()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do(g)
			s.check(t, g)
		})
	}
}
