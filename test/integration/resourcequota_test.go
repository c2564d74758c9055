package integration

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// createQuota creates quota name in namespace with hard limits and waits until the resource quota
// controller has counted it: admission refuses everything a quota limits until then.
func createQuota(t *testing.T, c *client.Client, namespace, name string, hard map[string]string) {
	t.Helper()
	ctx := testContext(t)
	_, err := c.ResourceQuotas(namespace).Create(ctx, &corev1.ResourceQuota{Metadata: meta(name, nil),
		Spec: &corev1.ResourceQuotaSpec{Hard: hard}})
	require.NoError(t, err)
	waitUsed(t, c, namespace, name, nil)
}

// waitUsed waits until quota name mirrors its spec in status.hard and, for every entry of want,
// says that much is used.
func waitUsed(t *testing.T, c *client.Client, namespace, name string, want map[string]string) {
	t.Helper()
	ctx := testContext(t)
	framework.Eventually(t, 30*time.Second, func() bool {
		q, err := c.ResourceQuotas(namespace).Get(ctx, name)
		if err != nil {
			return false
		}
		last := q.GetStatus()
		if len(last.GetHard()) != len(q.GetSpec().GetHard()) || len(last.GetUsed()) != len(q.GetSpec().GetHard()) {
			return false
		}
		for k, v := range want {
			if last.GetUsed()[k] != v {
				return false
			}
		}
		return true
	}, "quota %s counted with used %v", name, want)
}

func quotaPod(name string, requests map[string]string) *corev1.Pod {
	spec := podSpec("busybox:1.36")
	spec.Containers[0].Resources = &corev1.ResourceRequirements{Requests: requests}
	return &corev1.Pod{Metadata: meta(name, nil), Spec: spec}
}

// TestResourceQuotaRefusesPodBeyondHard fills a quota of two pods: the third is refused with
// Kubernetes' message through gRPC and REST alike, a pod without the cpu request a quota limits
// is refused, and status.used follows deletions.
func TestResourceQuotaRefusesPodBeyondHard(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.ResourceQuota(0))
	c := cl.Client()
	ctx := testContext(t)
	const ns = "quota-limits"
	_, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta(ns, nil)})
	require.NoError(t, err)
	createQuota(t, c, ns, "compute", map[string]string{"pods": "2", "requests.cpu": "1"})

	for _, name := range []string{"p1", "p2"} {
		_, err := c.Pods(ns).Create(ctx, quotaPod(name, map[string]string{"cpu": "250m"}))
		require.NoError(t, err)
	}
	_, err = c.Pods(ns).Create(ctx, quotaPod("p3", map[string]string{"cpu": "250m"}))
	require.True(t, apierrors.IsForbidden(err), "the third pod exceeds the quota: %v", err)
	require.Equal(t, `pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2`, err.Error())

	code, st := restDo(t, http.MethodPost, cl.URL(0)+"/api/v1/namespaces/"+ns+"/pods", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p3"},"spec":{"containers":[{"name":"c","image":"busybox:1.36","resources":{"requests":{"cpu":"250m"}}}]}}`)
	require.Equal(t, http.StatusForbidden, code, st)
	require.Equal(t, "Forbidden", st["reason"])
	require.Equal(t, `pods "p3" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2`, st["message"])

	require.NoError(t, c.Pods(ns).Delete(ctx, "p1"))
	waitUsed(t, c, ns, "compute", map[string]string{"pods": "1", "requests.cpu": "250m"})

	_, err = c.Pods(ns).Create(ctx, quotaPod("no-cpu", nil))
	require.True(t, apierrors.IsForbidden(err), "a pod without a cpu request: %v", err)
	require.Equal(t, `pods "no-cpu" is forbidden: failed quota: compute: must specify requests.cpu`, err.Error())
	_, err = c.Pods(ns).Create(ctx, quotaPod("big", map[string]string{"cpu": "800m"}))
	require.Equal(t, `pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=800m, used: requests.cpu=250m, limited: requests.cpu=1`,
		fmt.Sprint(err))
	_, err = c.Pods(ns).Create(ctx, quotaPod("p4", map[string]string{"cpu": "750m"}))
	require.NoError(t, err, "the freed room is admitted")
	waitUsed(t, c, ns, "compute", map[string]string{"pods": "2", "requests.cpu": "1"})
}

// TestResourceQuotaHoldsUnderConcurrentCreates races 20 clients, each creating a pod, against a
// quota with room for 5: exactly 5 pods exist afterwards, the others were refused with Forbidden,
// and status.used settles at 5.
func TestResourceQuotaHoldsUnderConcurrentCreates(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.ResourceQuota(0))
	ctx := testContext(t)
	const ns = "quota-race"
	_, err := cl.Client().Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta(ns, nil)})
	require.NoError(t, err)
	createQuota(t, cl.Client(), ns, "pods", map[string]string{"pods": "5", "count/pods": "5"})

	const clients = 20
	errs := make([]error, clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range clients {
		c := cl.Client() // a connection of its own
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = c.Pods(ns).Create(ctx, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("racer-%02d", i)},
				Spec: podSpec("busybox:1.36")})
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for i, err := range errs {
		if err == nil {
			created++
			continue
		}
		require.True(t, apierrors.IsForbidden(err), "client %d failed otherwise: %v", i, err)
		require.Contains(t, err.Error(), "exceeded quota: pods, requested: count/pods=1,pods=1, used: count/pods=5,pods=5, limited: count/pods=5,pods=5")
	}
	require.Equal(t, 5, created, "exactly the quota's pods were admitted")
	list, err := cl.Client().Pods(ns).List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 5)
	waitUsed(t, cl.Client(), ns, "pods", map[string]string{"pods": "5", "count/pods": "5"})

	// A recount must not lower what admission charged: a sixth pod stays refused.
	_, err = cl.Client().Pods(ns).Create(ctx, &corev1.Pod{Metadata: meta("late", nil), Spec: podSpec("busybox:1.36")})
	require.True(t, apierrors.IsForbidden(err), "%v", err)
}
