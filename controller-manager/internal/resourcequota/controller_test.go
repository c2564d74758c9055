package resourcequota

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func meta(name string) *metav1.ObjectMeta { return &metav1.ObjectMeta{Name: name, Namespace: "team"} }

func rq(hard map[string]string) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{Metadata: meta("q"), Spec: &corev1.ResourceQuotaSpec{Hard: hard}}
}

func pod(name, phase string, requests, limits map[string]string) *corev1.Pod {
	return &corev1.Pod{Metadata: meta(name), Spec: &corev1.PodSpec{Containers: []*corev1.Container{{
		Name: "c", Resources: &corev1.ResourceRequirements{Requests: requests, Limits: limits},
	}}}, Status: &corev1.PodStatus{Phase: phase}}
}

// start runs nothing but builds a controller over a fake API holding objs, with its informers
// synced, on a fake clock.
func start(t *testing.T, objs ...scheme.Object) (*Controller, *clienttest.Server, *clock.Fake, *informer.Factory, context.Context) {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(epoch)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	c, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), Options{SyncPeriod: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
	return c, srv, clk, f, ctx
}

func status(ctx context.Context, t *testing.T, srv *clienttest.Server) *corev1.ResourceQuotaStatus {
	t.Helper()
	q, err := srv.Client().ResourceQuotas("team").Get(ctx, "q")
	require.NoError(t, err)
	return q.GetStatus()
}

func TestReconcileCounts(t *testing.T) {
	tests := []struct {
		name string
		hard map[string]string
		objs []scheme.Object
		want map[string]string
	}{
		{
			name: "pods and their compute, finished pods and other namespaces left out",
			hard: map[string]string{"pods": "10", "requests.cpu": "4", "cpu": "4", "limits.memory": "4Gi", "memory": "4Gi", "count/pods": "10"},
			objs: []scheme.Object{
				pod("a", "Running", map[string]string{"cpu": "250m", "memory": "64Mi"}, map[string]string{"memory": "128Mi"}),
				pod("b", "Pending", map[string]string{"cpu": "500m"}, nil),
				pod("done", "Succeeded", map[string]string{"cpu": "1"}, nil),
				pod("failed", "Failed", map[string]string{"cpu": "1"}, nil),
				&corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "elsewhere", Namespace: "other"}, Spec: &corev1.PodSpec{}},
			},
			want: map[string]string{"pods": "2", "requests.cpu": "750m", "cpu": "750m", "limits.memory": "128Mi", "memory": "64Mi", "count/pods": "2"},
		},
		{
			name: "services and node ports",
			hard: map[string]string{"services": "5", "services.nodeports": "5", "services.loadbalancers": "1"},
			objs: []scheme.Object{
				&corev1.Service{Metadata: meta("a"), Spec: &corev1.ServiceSpec{Type: "NodePort", Ports: []*corev1.ServicePort{{Port: 80}, {Port: 81}}}},
				&corev1.Service{Metadata: meta("b"), Spec: &corev1.ServiceSpec{Type: "ClusterIP", Ports: []*corev1.ServicePort{{Port: 80}}}},
			},
			want: map[string]string{"services": "2", "services.nodeports": "2", "services.loadbalancers": "0"},
		},
		{
			name: "object counts, legacy and count/ names, of watched and unwatched kinds",
			hard: map[string]string{"configmaps": "9", "secrets": "9", "replicationcontrollers": "9", "resourcequotas": "9",
				"count/deployments.apps": "9", "count/secrets": "9", "persistentvolumeclaims": "9"},
			objs: []scheme.Object{
				&corev1.ConfigMap{Metadata: meta("a")}, &corev1.ConfigMap{Metadata: meta("b")},
				&corev1.Secret{Metadata: meta("s")},
				&corev1.ReplicationController{Metadata: meta("rc")},
				&appsv1.Deployment{Metadata: meta("d1")}, &appsv1.Deployment{Metadata: meta("d2")}, &appsv1.Deployment{Metadata: meta("d3")},
			},
			want: map[string]string{"configmaps": "2", "secrets": "1", "replicationcontrollers": "1", "resourcequotas": "1",
				"count/deployments.apps": "3", "count/secrets": "1", "persistentvolumeclaims": "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, _, _, ctx := start(t, append(tt.objs, rq(tt.hard))...)
			_, err := c.reconcile(ctx, "team/q")
			require.NoError(t, err)
			st := status(ctx, t, srv)
			require.Equal(t, tt.hard, st.GetHard(), "status.hard mirrors spec.hard")
			requireQuantities(t, tt.want, st.GetUsed())
		})
	}
}

func requireQuantities(t *testing.T, want, got map[string]string) {
	t.Helper()
	w, err := resource.ParseList(want)
	require.NoError(t, err)
	g, err := resource.ParseList(got)
	require.NoError(t, err)
	require.Len(t, g, len(w), "used %v, want %v", got, want)
	for name, q := range w {
		require.True(t, g[name].Equal(q), "%s = %s, want %s (used %v)", name, g[name].String(), q.String(), got)
	}
}

// TestReconcileLeavesACurrentStatus writes nothing when the status already says what is there.
func TestReconcileLeavesACurrentStatus(t *testing.T) {
	q := rq(map[string]string{"pods": "3"})
	q.Status = &corev1.ResourceQuotaStatus{Hard: map[string]string{"pods": "3"}, Used: map[string]string{"pods": "1"}}
	c, srv, _, _, ctx := start(t, q, pod("a", "Running", nil, nil))
	before := srv.Calls(clienttest.Update, "resourcequotas")
	_, err := c.reconcile(ctx, "team/q")
	require.NoError(t, err)
	require.Equal(t, before, srv.Calls(clienttest.Update, "resourcequotas"))
}

// TestRunRecountsOnEventsAndEveryPeriod runs the controller: it counts a new quota, recounts when
// a pod is deleted or finishes, and puts back a usage someone overwrote at the next sync period.
func TestRunRecountsOnEventsAndEveryPeriod(t *testing.T) {
	c, srv, clk, _, ctx := start(t, pod("a", "Running", nil, nil), pod("b", "Running", nil, nil), pod("c", "Running", nil, nil),
		rq(map[string]string{"pods": "10"}))
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- c.Run(runCtx, 2) }()
	t.Cleanup(func() {
		stop()
		require.NoError(t, <-done)
	})
	waitUsed := func(want string) {
		t.Helper()
		require.Eventually(t, func() bool {
			return status(ctx, t, srv).GetUsed()["pods"] == want
		}, 10*time.Second, time.Millisecond, "used pods becomes %s", want)
	}
	waitUsed("3")

	require.NoError(t, srv.Client().Pods("team").Delete(ctx, "a"))
	waitUsed("2")

	b, err := srv.Client().Pods("team").Get(ctx, "b")
	require.NoError(t, err)
	b.Status.Phase = "Succeeded"
	_, err = srv.Client().Pods("team").UpdateStatus(ctx, b)
	require.NoError(t, err)
	waitUsed("1")

	// An overwrite of the status that no event reports is undone by the periodic recount.
	q, err := srv.Client().ResourceQuotas("team").Get(ctx, "q")
	require.NoError(t, err)
	q.Status.Used["pods"] = "7"
	_, err = srv.Client().ResourceQuotas("team").UpdateStatus(ctx, q)
	require.NoError(t, err)
	require.Equal(t, "7", status(ctx, t, srv).GetUsed()["pods"])
	require.Eventually(t, func() bool {
		clk.Step(time.Minute)
		return status(ctx, t, srv).GetUsed()["pods"] == "1"
	}, 10*time.Second, 10*time.Millisecond, "the sync period recounts")
}
