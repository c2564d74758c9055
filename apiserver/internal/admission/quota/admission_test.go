package quota_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/quota"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/registry/registrytest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// cluster is a registry with quota admission on an in-process etcd, with namespace "ns".
type cluster struct {
	reg                    *registry.Registry
	pods, services, quotas *registry.Store
	ctx                    context.Context
}

func start(t *testing.T) *cluster {
	t.Helper()
	reg, ctx := registrytest.Start(t, func(reg *registry.Registry) (registry.Admitter, error) { return quota.New(reg) })
	c := &cluster{reg: reg, ctx: ctx}
	c.pods = c.store(t, "pods")
	c.services = c.store(t, "services")
	c.quotas = c.store(t, "resourcequotas")
	registrytest.Namespace(ctx, t, reg, "ns")
	return c
}

func (c *cluster) store(t *testing.T, resource string) *registry.Store {
	t.Helper()
	return registrytest.Store(t, c.reg, resource)
}

// quota creates a quota whose status says hard and used, as the controller would have written.
func (c *cluster) quota(t *testing.T, name string, hard, used map[string]string, withStatus bool) {
	t.Helper()
	q := &corev1.ResourceQuota{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.ResourceQuotaSpec{Hard: hard}}
	out, err := c.quotas.Create(c.ctx, "ns", q, registry.CreateOptions{})
	require.NoError(t, err)
	if !withStatus {
		return
	}
	q = out.(*corev1.ResourceQuota)
	q.Status = &corev1.ResourceQuotaStatus{Hard: hard, Used: used}
	_, err = c.quotas.Update(c.ctx, "ns", q, registry.UpdateOptions{Subresource: "status"})
	require.NoError(t, err)
}

func (c *cluster) used(t *testing.T, name string) map[string]string {
	t.Helper()
	obj, err := c.quotas.Get(c.ctx, "ns", name, registry.GetOptions{})
	require.NoError(t, err)
	return obj.(*corev1.ResourceQuota).GetStatus().GetUsed()
}

func pod(name string, requests map[string]string) *corev1.Pod {
	return &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.PodSpec{Containers: []*corev1.Container{{
		Name: "c", Image: "busybox", Resources: &corev1.ResourceRequirements{Requests: requests},
	}}}}
}

func TestAdmitCreate(t *testing.T) {
	tests := []struct {
		name       string
		hard, used map[string]string
		noStatus   bool
		pod        *corev1.Pod
		dryRun     bool
		wantErr    string
		wantUsed   map[string]string
	}{
		{
			name: "room left is charged", hard: map[string]string{"pods": "2", "requests.cpu": "1"},
			used:     map[string]string{"pods": "1", "requests.cpu": "250m"},
			pod:      pod("p", map[string]string{"cpu": "500m"}),
			wantUsed: map[string]string{"pods": "2", "requests.cpu": "750m"},
		},
		{
			name: "a full quota refuses with Kubernetes' message", hard: map[string]string{"pods": "2"},
			used: map[string]string{"pods": "2"}, pod: pod("p", nil),
			wantErr:  `pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`,
			wantUsed: map[string]string{"pods": "2"},
		},
		{
			name: "cpu beyond the quota", hard: map[string]string{"requests.cpu": "1"},
			used: map[string]string{"requests.cpu": "800m"}, pod: pod("p", map[string]string{"cpu": "300m"}),
			wantErr:  `pods "p" is forbidden: exceeded quota: q, requested: requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1`,
			wantUsed: map[string]string{"requests.cpu": "800m"},
		},
		{
			name: "a pod without the limited requests", hard: map[string]string{"requests.cpu": "1", "memory": "1Gi"},
			used: map[string]string{}, pod: pod("p", nil),
			wantErr: `pods "p" is forbidden: failed quota: q: must specify requests.cpu,requests.memory`,
		},
		{
			name: "a quota not yet counted admits nothing", hard: map[string]string{"pods": "2"}, noStatus: true,
			pod: pod("p", nil), wantErr: `pods "p" is forbidden: status unknown for quota: q, resources: pods`,
		},
		{
			name: "a dry run charges nothing", hard: map[string]string{"pods": "2"}, used: map[string]string{"pods": "0"},
			pod: pod("p", nil), dryRun: true, wantUsed: map[string]string{"pods": "0"},
		},
		{
			name: "a quota on other resources is not touched", hard: map[string]string{"services": "1"},
			used: map[string]string{"services": "0"}, pod: pod("p", nil), wantUsed: map[string]string{"services": "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := start(t)
			c.quota(t, "q", tt.hard, tt.used, !tt.noStatus)
			_, err := c.pods.Create(c.ctx, "ns", tt.pod, registry.CreateOptions{DryRun: tt.dryRun})
			if tt.wantErr != "" {
				require.Error(t, err)
				require.True(t, apierrors.IsForbidden(err), "want Forbidden, got %v", err)
				require.Equal(t, tt.wantErr, err.Error())
			} else {
				require.NoError(t, err)
			}
			if tt.wantUsed != nil {
				require.Equal(t, tt.wantUsed, c.used(t, "q"))
			}
		})
	}
}

// TestAdmitEveryMatchingQuota charges both quotas of a namespace, and when the second refuses,
// gives the first its charge back.
func TestAdmitEveryMatchingQuota(t *testing.T) {
	c := start(t)
	c.quota(t, "a", map[string]string{"pods": "10"}, map[string]string{"pods": "0"}, true)
	c.quota(t, "b", map[string]string{"pods": "1"}, map[string]string{"pods": "0"}, true)
	_, err := c.pods.Create(c.ctx, "ns", pod("one", nil), registry.CreateOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"pods": "1"}, c.used(t, "a"))
	require.Equal(t, map[string]string{"pods": "1"}, c.used(t, "b"))
	_, err = c.pods.Create(c.ctx, "ns", pod("two", nil), registry.CreateOptions{})
	require.True(t, apierrors.IsForbidden(err), "quota b is full: %v", err)
	require.Equal(t, map[string]string{"pods": "1"}, c.used(t, "a"), "the refused create costs quota a nothing")
}

// TestAdmitUpdateRaisingUsage refuses turning a service into a NodePort one beyond the quota's
// node ports, and charges nothing for an update that does not raise usage.
func TestAdmitUpdateRaisingUsage(t *testing.T) {
	c := start(t)
	c.quota(t, "q", map[string]string{"services": "5", "services.nodeports": "1"},
		map[string]string{"services": "0", "services.nodeports": "0"}, true)
	svc := &corev1.Service{Metadata: &metav1.ObjectMeta{Name: "web"}, Spec: &corev1.ServiceSpec{
		Ports: []*corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 81}}}}
	out, err := c.services.Create(c.ctx, "ns", svc, registry.CreateOptions{})
	require.NoError(t, err)
	require.Equal(t, "1", c.used(t, "q")["services"])
	next := out.(*corev1.Service)
	next.Metadata.Labels = map[string]string{"app": "web"}
	out, err = c.services.Update(c.ctx, "ns", next, registry.UpdateOptions{})
	require.NoError(t, err)
	require.Equal(t, "1", c.used(t, "q")["services"], "an update that adds nothing charges nothing")
	next = out.(*corev1.Service)
	next.Spec.Type = "NodePort"
	_, err = c.services.Update(c.ctx, "ns", next, registry.UpdateOptions{})
	require.True(t, apierrors.IsForbidden(err), "two node ports exceed one: %v", err)
	require.Contains(t, err.Error(), "exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1")
}

// TestAdmitConcurrentCreatesNeverOvershoot races 20 creates against a quota with room for 5:
// exactly 5 are admitted, the rest refused, and status.used says 5.
func TestAdmitConcurrentCreatesNeverOvershoot(t *testing.T) {
	c := start(t)
	c.quota(t, "q", map[string]string{"pods": "5"}, map[string]string{"pods": "0"}, true)
	const clients = 20
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.pods.Create(c.ctx, "ns", pod(fmt.Sprintf("p%d", i), nil), registry.CreateOptions{})
		}()
	}
	wg.Wait()
	admitted := 0
	for _, err := range errs {
		if err == nil {
			admitted++
			continue
		}
		require.True(t, apierrors.IsForbidden(err), "a racing create failed otherwise: %v", err)
		require.Contains(t, err.Error(), "exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5")
	}
	require.Equal(t, 5, admitted)
	require.Equal(t, map[string]string{"pods": "5"}, c.used(t, "q"))
	list, err := c.pods.List(c.ctx, "ns", registry.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 5)
}
