package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestNodeAuthorizationOnTheServer runs the apiserver with its Node authorizer and NodeRestriction
// admission and judges kubelet a's requests as --authorization-mode=Node does: what the Node
// authorizer does not allow is refused with 403. Kubelet a cannot read a pod bound to b, cannot
// update node b, cannot read a secret no pod of its uses; it can once one of its pods does, and no
// longer once that pod is gone.
func TestNodeAuthorizationOnTheServer(t *testing.T) {
	srv := servertest.Start(t)
	az := srv.NodeAuthorizer()
	require.NotNil(t, az)
	reg := srv.Registry()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := func(resource string) *registry.Store {
		st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: resource})
		require.NoError(t, err)
		return st
	}
	nodes, pods, secrets := store("nodes"), store("pods"), store("secrets")
	kubeletA := &user.Info{Name: user.NodeUserPrefix + "a", Groups: []string{user.NodesGroup, user.AllAuthenticated}}
	asA := user.NewContext(ctx, kubeletA)
	// authorize stands for the authorizing front with --authorization-mode=Node: anything the Node
	// authorizer does not allow is Forbidden.
	authorize := func(verb, resource, sub, ns, name string) error {
		d, why, err := az.Authorize(asA, authz.Attributes{User: kubeletA, Verb: verb, ResourceRequest: true, APIVersion: "v1",
			Resource: resource, Subresource: sub, Namespace: ns, Name: name})
		require.NoError(t, err)
		if d != authz.Allow {
			return apierrors.NewForbidden("", resource, name, "User \""+kubeletA.Name+"\" cannot "+verb+" resource: "+why)
		}
		return nil
	}
	for _, n := range []string{"a", "b"} {
		_, err := nodes.Create(ctx, "", &corev1.Node{Metadata: &metav1.ObjectMeta{Name: n}}, registry.CreateOptions{})
		require.NoError(t, err)
	}
	for _, name := range []string{"secret-a", "secret-b", "secret-none", "secret-later"} {
		_, err := secrets.Create(ctx, "default", &corev1.Secret{Metadata: &metav1.ObjectMeta{Name: name}}, registry.CreateOptions{})
		require.NoError(t, err)
	}
	podUsing := func(name, secret, node string) {
		t.Helper()
		_, err := pods.Create(ctx, "default", &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.PodSpec{
			NodeName:   node,
			Containers: []*corev1.Container{{Name: "c", Image: "i"}},
			Volumes:    []*corev1.Volume{{Name: "s", Secret: &corev1.SecretVolumeSource{SecretName: secret}}},
		}}, registry.CreateOptions{})
		require.NoError(t, err)
	}
	// The graph applies pods in the order they were written: once it has pod-a, it has pod-b.
	podUsing("pod-b", "secret-b", "b")
	podUsing("pod-a", "secret-a", "a")
	require.Eventually(t, func() bool { return authorize("get", "pods", "", "default", "pod-a") == nil },
		10*time.Second, 5*time.Millisecond, "the graph sees the pods")

	forbidden := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		require.True(t, apierrors.IsForbidden(err), "%v", err)
	}
	t.Run("pods", func(t *testing.T) {
		require.NoError(t, authorize("get", "pods", "", "default", "pod-a"))
		forbidden(t, authorize("get", "pods", "", "default", "pod-b"))
		forbidden(t, authorize("update", "pods", "status", "default", "pod-b"))
		_, _, err := pods.Delete(asA, "default", "pod-b", registry.DeleteOptions{})
		forbidden(t, err)
	})
	t.Run("nodes", func(t *testing.T) {
		forbidden(t, authorize("update", "nodes", "", "", "b"))
		b, err := nodes.Get(ctx, "", "b", registry.GetOptions{})
		require.NoError(t, err)
		b.GetMetadata().Labels = map[string]string{"owned": "by-a"}
		// Even past an authorizer that allowed it, NodeRestriction refuses.
		_, err = nodes.Update(asA, "", b, registry.UpdateOptions{})
		forbidden(t, err)
		require.NoError(t, authorize("update", "nodes", "", "", "a"))
		a, err := nodes.Get(ctx, "", "a", registry.GetOptions{})
		require.NoError(t, err)
		a.GetMetadata().Labels = map[string]string{"kubernetes.io/hostname": "a"}
		_, err = nodes.Update(asA, "", a, registry.UpdateOptions{})
		require.NoError(t, err)
	})
	t.Run("secrets", func(t *testing.T) {
		require.NoError(t, authorize("get", "secrets", "", "default", "secret-a"))
		forbidden(t, authorize("get", "secrets", "", "default", "secret-b"))
		forbidden(t, authorize("get", "secrets", "", "default", "secret-none"))
		forbidden(t, authorize("get", "secrets", "", "default", "secret-later"))
		podUsing("pod-later", "secret-later", "a")
		require.Eventually(t, func() bool { return authorize("get", "secrets", "", "default", "secret-later") == nil },
			10*time.Second, 5*time.Millisecond, "a new pod of a makes its secret readable")
		zero := int64(0)
		_, _, err := pods.Delete(ctx, "default", "pod-later", registry.DeleteOptions{GracePeriodSeconds: &zero})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return authorize("get", "secrets", "", "default", "secret-later") != nil },
			10*time.Second, 5*time.Millisecond, "the deleted pod's secret is no longer readable")
	})
}
