package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func TestNamespaceDeletionRemovesEverything(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	// The controllers that write into namespaces run too: none may keep a terminating one alive.
	startControllers(t, cl, harness.Namespaces, harness.ServiceAccounts, harness.Endpoints)
	ctx := testContext(t)
	c := cl.Client()
	const ns = "team-gone"
	_, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta(ns, nil)})
	require.NoError(t, err)
	framework.Eventually(t, 10*time.Second, func() bool {
		_, err := c.ServiceAccounts(ns).Get(ctx, "default")
		return err == nil
	}, "the namespace has its default service account")

	_, err = c.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{Metadata: meta("cfg", nil), Data: map[string]string{"k": "v"}})
	require.NoError(t, err)
	_, err = c.Secrets(ns).Create(ctx, &corev1.Secret{Metadata: meta("s", nil), StringData: map[string]string{"k": "v"}})
	require.NoError(t, err)
	_, err = c.Pods(ns).Create(ctx, &corev1.Pod{Metadata: meta("p", appLabels), Spec: podSpec("nginx:1.27")})
	require.NoError(t, err)
	_, err = c.Services(ns).Create(ctx, &corev1.Service{Metadata: meta("svc", nil), Spec: &corev1.ServiceSpec{
		Selector: appLabels, Ports: []*corev1.ServicePort{{Port: 80}}}})
	require.NoError(t, err)
	_, err = c.Deployments(ns).Create(ctx, &appsv1.Deployment{Metadata: meta("d", nil), Spec: &appsv1.DeploymentSpec{
		Replicas: ptr[int32](1), Selector: selector(appLabels), Template: template(appLabels, "Always")}})
	require.NoError(t, err)
	_, err = c.Jobs(ns).Create(ctx, &batchv1.Job{Metadata: meta("j", nil), Spec: &batchv1.JobSpec{
		Template: template(map[string]string{"job": "j"}, "Never")}})
	require.NoError(t, err)
	held := meta("held", nil)
	held.Finalizers = []string{"example.com/hold"}
	_, err = c.ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{Metadata: held})
	require.NoError(t, err)
	_, err = c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("bystander", nil)})
	require.NoError(t, err)

	require.NoError(t, c.Namespaces().Delete(ctx, ns))

	// The finalizer holds one object, and the namespace with it; the conditions say so.
	framework.Eventually(t, 20*time.Second, func() bool {
		n, err := c.Namespaces().Get(ctx, ns)
		if err != nil {
			return false
		}
		for _, cond := range n.GetStatus().GetConditions() {
			if cond.GetType() == "NamespaceFinalizersRemaining" && cond.GetStatus() == "True" {
				return cond.GetMessage() == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
			}
		}
		return false
	}, "NamespaceFinalizersRemaining names the finalizer")
	n, err := c.Namespaces().Get(ctx, ns)
	require.NoError(t, err)
	require.Equal(t, "Terminating", n.GetStatus().GetPhase())
	remaining := map[string]int{}
	for _, k := range c.Scheme().Kinds() {
		if !k.Namespaced {
			continue
		}
		list, err := client.ForKind(c, k, ns).List(ctx, client.ListOptions{})
		require.NoError(t, err)
		if len(list.Items) > 0 {
			remaining[k.Resource] = len(list.Items)
		}
	}
	require.Equal(t, map[string]int{"configmaps": 1}, remaining, "everything but the held object is gone")

	cm, err := c.ConfigMaps(ns).Get(ctx, "held")
	require.NoError(t, err)
	require.NotNil(t, cm.GetMetadata().GetDeletionTimestamp())
	cm.Metadata.Finalizers = nil
	_, err = c.ConfigMaps(ns).Update(ctx, cm)
	require.NoError(t, err)

	framework.Eventually(t, 30*time.Second, func() bool {
		_, err := c.Namespaces().Get(ctx, ns)
		return apierrors.IsNotFound(err)
	}, "the namespace is gone once its last object is")
	_, err = c.ConfigMaps("default").Get(ctx, "bystander")
	require.NoError(t, err, "other namespaces keep their content")
}
