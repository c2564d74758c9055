package noderestriction_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/noderestriction"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/registry/registrytest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// TestRegistryAdmitsStatusWritesDeletesAndEvictions runs the admission in a registry, where status
// updates, patches of status, deletes and evictions reach it as well as creates and updates.
func TestRegistryAdmitsStatusWritesDeletesAndEvictions(t *testing.T) {
	reg, ctx := registrytest.Start(t, func(reg *registry.Registry) (registry.Admitter, error) { return noderestriction.New(reg) })
	registrytest.Namespace(ctx, t, reg, "ns")
	nodes, pods := registrytest.Store(t, reg, "nodes"), registrytest.Store(t, reg, "pods")
	asNode := func(name string) context.Context {
		return user.NewContext(ctx, &user.Info{Name: user.NodeUserPrefix + name, Groups: []string{user.NodesGroup}})
	}
	forbidden := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		require.True(t, apierrors.IsForbidden(err), "%v", err)
	}
	for _, n := range []string{"a", "b"} {
		_, err := nodes.Create(asNode(n), "", &corev1.Node{Metadata: &metav1.ObjectMeta{Name: n}, Status: &corev1.NodeStatus{
			Addresses: []*corev1.NodeAddress{{Type: "InternalIP", Address: "127.0.0.1"}},
		}}, registry.CreateOptions{})
		require.NoError(t, err)
		// The scheduler binds, with no node's identity; the registry's own work carries none.
		_, err = pods.Create(ctx, "ns", &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p-" + n},
			Spec: &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "i"}}}}, registry.CreateOptions{})
		require.NoError(t, err)
		_, err = pods.Bind(ctx, "ns", "p-"+n, &corev1.Binding{Target: &corev1.ObjectReference{Name: n}}, false)
		require.NoError(t, err)
	}
	setPhase := func(phase string) registry.ModifyFunc {
		return func(cur scheme.Object) (scheme.Object, error) {
			cur.(*corev1.Pod).Status.Phase = phase
			return cur, nil
		}
	}
	moveAddress := func(cur scheme.Object) (scheme.Object, error) {
		cur.(*corev1.Node).Status.Addresses[0].Address = "127.0.0.9"
		return cur, nil
	}

	t.Run("pod status", func(t *testing.T) {
		_, _, err := pods.Modify(asNode("a"), "ns", "p-a", registry.ModifyOptions{Subresource: "status"}, setPhase("Running"))
		require.NoError(t, err)
		_, _, err = pods.Modify(asNode("a"), "ns", "p-b", registry.ModifyOptions{Subresource: "status"}, setPhase("Running"))
		forbidden(t, err)
		cur, err := pods.Get(ctx, "ns", "p-b", registry.GetOptions{})
		require.NoError(t, err)
		_, err = pods.Update(asNode("a"), "ns", cur, registry.UpdateOptions{Subresource: "status"})
		forbidden(t, err)
	})
	t.Run("node addresses", func(t *testing.T) {
		_, _, err := nodes.Modify(asNode("a"), "", "b", registry.ModifyOptions{Subresource: "status"}, moveAddress)
		forbidden(t, err)
		scheduler := user.NewContext(ctx, &user.Info{Name: user.KubeScheduler})
		_, _, err = nodes.Modify(scheduler, "", "b", registry.ModifyOptions{Subresource: "status"}, moveAddress)
		forbidden(t, err)
		_, _, err = nodes.Modify(asNode("b"), "", "b", registry.ModifyOptions{Subresource: "status"}, moveAddress)
		require.NoError(t, err)
	})
	t.Run("delete and evict", func(t *testing.T) {
		_, _, err := pods.Delete(asNode("a"), "ns", "p-b", registry.DeleteOptions{})
		forbidden(t, err)
		forbidden(t, pods.Evict(asNode("a"), "ns", "p-b", &policyv1.Eviction{}, false))
		_, _, err = nodes.Delete(asNode("a"), "", "b", registry.DeleteOptions{})
		forbidden(t, err)
		_, err = pods.Get(ctx, "ns", "p-b", registry.GetOptions{})
		require.NoError(t, err, "a refused delete leaves the pod")
		require.NoError(t, pods.Evict(asNode("a"), "ns", "p-a", &policyv1.Eviction{}, false))
	})
}
