package integration

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func TestFinalizersHoldDeletion(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	cms := cl.Client().ConfigMaps("default")
	_, err := cms.Create(ctx, &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/cleanup"}}})
	require.NoError(t, err)

	require.NoError(t, cms.Delete(ctx, "held"))
	cm, err := cms.Get(ctx, "held")
	require.NoError(t, err, "a finalizer keeps the object")
	require.NotNil(t, cm.GetMetadata().GetDeletionTimestamp())

	cm.Metadata.Finalizers = append(cm.Metadata.Finalizers, "example.com/another")
	_, err = cms.Update(ctx, cm)
	require.True(t, apierrors.IsInvalid(err), "no new finalizers while deleting: %v", err)

	cm.Metadata.Finalizers = nil
	_, err = cms.Update(ctx, cm)
	require.NoError(t, err)
	_, err = cms.Get(ctx, "held")
	require.True(t, apierrors.IsNotFound(err), "removing the last finalizer deletes: %v", err)
}

func TestPodGracefulDeletion(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	pods := cl.Client().Pods("default")

	unbound, err := pods.Create(ctx, &corev1.Pod{Metadata: meta("unbound", nil), Spec: podSpec("nginx")})
	require.NoError(t, err)
	require.NoError(t, pods.Delete(ctx, unbound.GetMetadata().GetName()))
	_, err = pods.Get(ctx, "unbound")
	require.True(t, apierrors.IsNotFound(err), "an unscheduled pod goes at once: %v", err)

	spec := podSpec("nginx")
	spec.TerminationGracePeriodSeconds = ptr(int64(45))
	_, err = pods.Create(ctx, &corev1.Pod{Metadata: meta("running", nil), Spec: spec})
	require.NoError(t, err)
	require.NoError(t, pods.Bind(ctx, "running", "node-a"))
	require.True(t, apierrors.IsConflict(pods.Bind(ctx, "running", "node-b")), "a bound pod cannot be bound again")

	require.NoError(t, pods.Delete(ctx, "running"))
	p, err := pods.Get(ctx, "running")
	require.NoError(t, err, "a bound pod waits for its kubelet")
	require.EqualValues(t, 45, p.GetMetadata().GetDeletionGracePeriodSeconds())
	require.NotNil(t, p.GetMetadata().GetDeletionTimestamp())
	require.Equal(t, "node-a", p.GetSpec().GetNodeName())

	require.NoError(t, pods.Delete(ctx, "running", client.DeleteOptions{GracePeriodSeconds: ptr(int64(10))}))
	p, err = pods.Get(ctx, "running")
	require.NoError(t, err)
	require.EqualValues(t, 10, p.GetMetadata().GetDeletionGracePeriodSeconds(), "a shorter grace period wins")

	// The kubelet confirms with grace period 0.
	require.NoError(t, pods.Delete(ctx, "running", client.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}))
	_, err = pods.Get(ctx, "running")
	require.True(t, apierrors.IsNotFound(err), "grace period 0 removes: %v", err)
}

func TestPropagationPolicyAndPreconditions(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	rss := cl.Client().ReplicaSets("default")
	fx := replicaSetFixture()
	for _, name := range []string{"orphan", "foreground", "background"} {
		_, err := rss.Create(ctx, fx.valid(name))
		require.NoError(t, err)
	}
	rs, err := rss.Get(ctx, "orphan")
	require.NoError(t, err)
	err = rss.Delete(ctx, "orphan", client.DeleteOptions{PreconditionUID: "00000000-0000-0000-0000-000000000000"})
	require.True(t, apierrors.IsConflict(err), "uid precondition: %v", err)
	err = rss.Delete(ctx, "orphan", client.DeleteOptions{PreconditionResourceVersion: "1"})
	require.True(t, apierrors.IsConflict(err), "resourceVersion precondition: %v", err)

	require.NoError(t, rss.Delete(ctx, "orphan", client.DeleteOptions{PropagationPolicy: client.DeleteOrphan, PreconditionUID: rs.GetMetadata().GetUid()}))
	rs, err = rss.Get(ctx, "orphan")
	require.NoError(t, err, "orphan deletion waits for the garbage collector")
	require.Contains(t, rs.GetMetadata().GetFinalizers(), "orphan")

	require.NoError(t, rss.Delete(ctx, "foreground", client.DeleteOptions{PropagationPolicy: client.DeleteForeground}))
	rs, err = rss.Get(ctx, "foreground")
	require.NoError(t, err)
	require.Contains(t, rs.GetMetadata().GetFinalizers(), "foregroundDeletion")

	require.NoError(t, rss.Delete(ctx, "background", client.DeleteOptions{PropagationPolicy: client.DeleteBackground}))
	_, err = rss.Get(ctx, "background")
	require.True(t, apierrors.IsNotFound(err))

	err = rss.Delete(ctx, "orphan", client.DeleteOptions{PropagationPolicy: "Sideways"})
	require.True(t, apierrors.IsBadRequest(err), "unknown policy: %v", err)
}

func TestNamespaceLifecycle(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		_, err := c.Namespaces().Get(ctx, ns)
		require.NoError(t, err, "system namespace %s exists from the start", ns)
	}
	require.True(t, apierrors.IsForbidden(c.Namespaces().Delete(ctx, "kube-system")))

	_, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta("team-a", nil)})
	require.NoError(t, err)
	_, err = c.ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{Metadata: meta("cfg", nil)})
	require.NoError(t, err)

	require.NoError(t, c.Namespaces().Delete(ctx, "team-a"))
	ns, err := c.Namespaces().Get(ctx, "team-a")
	require.NoError(t, err, "spec.finalizers hold a deleted namespace for the namespace controller")
	require.Equal(t, "Terminating", ns.GetStatus().GetPhase())
	_, err = c.ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{Metadata: meta("late", nil)})
	require.True(t, apierrors.IsForbidden(err), "no new content in a terminating namespace: %v", err)
	require.Contains(t, err.Error(), "being terminated")

	ns.Spec.Finalizers = nil
	_, err = c.Namespaces().UpdateSubresource(ctx, ns, "finalize")
	require.NoError(t, err)
	_, err = c.Namespaces().Get(ctx, "team-a")
	require.True(t, apierrors.IsNotFound(err), "finalized namespace is gone: %v", err)
}

func TestGenerateName(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	pods := cl.Client().Pods("default")
	seen := map[string]bool{}
	for i := 0; i < 5; i++ {
		p, err := pods.Create(ctx, &corev1.Pod{Metadata: &metav1.ObjectMeta{GenerateName: "web-"}, Spec: podSpec("nginx")})
		require.NoError(t, err)
		name := p.GetMetadata().GetName()
		require.Regexp(t, `^web-[a-z0-9]{5}$`, name)
		require.False(t, seen[name])
		seen[name] = true
	}
}
