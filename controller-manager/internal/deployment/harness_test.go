package deployment

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events/eventstest"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// harness is a Deployment controller over an in-memory API, its informers running, its
// reconcile called by the test.
type harness struct {
	srv *clienttest.Server
	clk *clock.Fake
	rec *eventstest.Recorder
	c   *Controller
	ctx context.Context
}

func start(t *testing.T, objs ...scheme.Object) *harness {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(t0)
	rec := &eventstest.Recorder{}
	factory := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	c, err := New(srv.Client(), factory, rec, clk, zaptest.NewLogger(t), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- factory.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.True(t, factory.WaitForSync(ctx))
	return &harness{srv: srv, clk: clk, rec: rec, c: c, ctx: ctx}
}

// settle waits until the informers hold exactly what the API holds.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !h.caughtUp(t) {
		if time.Now().After(deadline) {
			t.Fatal("informers did not catch up with the API")
		}
		<-tick.C
	}
}

func (h *harness) caughtUp(t *testing.T) bool {
	t.Helper()
	return same(t, h, h.srv.Client().Deployments("default"), h.c.deployments) &&
		same(t, h, h.srv.Client().ReplicaSets("default"), h.c.rss) &&
		same(t, h, h.srv.Client().Pods("default"), h.c.pods)
}

func same[T scheme.Object](t *testing.T, h *harness, r *client.Resource[T], inf *informer.Informer[T]) bool {
	t.Helper()
	list, err := r.List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	cached := inf.Lister().ListNamespace("default")
	if len(cached) != len(list.Items) {
		return false
	}
	for _, o := range list.Items {
		c, ok := inf.Lister().Get("default", o.GetMetadata().GetName())
		if !ok || c.GetMetadata().GetResourceVersion() != o.GetMetadata().GetResourceVersion() {
			return false
		}
	}
	return true
}

// reconcile settles, then reconciles default/web once.
func (h *harness) reconcile(t *testing.T) (controller.Result, error) {
	t.Helper()
	h.settle(t)
	return h.c.reconcile(h.ctx, "default/web")
}

// deployment returns the stored Deployment web.
func (h *harness) deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	d, ok := clienttest.Stored[*appsv1.Deployment](h.srv, "default", "web")
	require.True(t, ok)
	return d
}

// replicaSets returns the stored ReplicaSets by name.
func (h *harness) replicaSets(t *testing.T) map[string]*appsv1.ReplicaSet {
	t.Helper()
	list, err := h.srv.Client().ReplicaSets("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	out := map[string]*appsv1.ReplicaSet{}
	for _, rs := range list.Items {
		out[rs.GetMetadata().GetName()] = rs
	}
	return out
}

// sizes returns the replicas of the stored ReplicaSets by name.
func (h *harness) sizes(t *testing.T) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	for n, rs := range h.replicaSets(t) {
		out[n] = specReplicas(rs)
	}
	return out
}

// template returns a pod template of image, labelled app=web.
func template(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: image}}},
	}
}

// deployOpt shapes a test Deployment.
type deployOpt func(*appsv1.Deployment)

// deploy returns a Deployment web of n replicas of image, rolling 25%/25%, with a 600s deadline
// and a history of 10.
func deploy(n int32, image string, opts ...deployOpt) *appsv1.Deployment {
	d := &appsv1.Deployment{
		Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default", Uid: "uid-web"},
		Spec: &appsv1.DeploymentSpec{
			Replicas: proto.Int32(n),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template(image),
			Strategy: &appsv1.DeploymentStrategy{Type: RollingUpdateStrategy, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxSurge: percent("25%"), MaxUnavailable: percent("25%"),
			}},
			RevisionHistoryLimit:    proto.Int32(10),
			ProgressDeadlineSeconds: proto.Int32(600),
		},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

func percent(s string) *metav1.IntOrString {
	return &metav1.IntOrString{Type: intOrStringString, StrVal: s}
}
func number(n int32) *metav1.IntOrString { return &metav1.IntOrString{IntVal: n} }

func surge(s, u *metav1.IntOrString) deployOpt {
	return func(d *appsv1.Deployment) {
		d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: s, MaxUnavailable: u}
	}
}
func recreate() deployOpt {
	return func(d *appsv1.Deployment) { d.Spec.Strategy = &appsv1.DeploymentStrategy{Type: RecreateStrategy} }
}
func paused() deployOpt { return func(d *appsv1.Deployment) { d.Spec.Paused = true } }
func history(n int32) deployOpt {
	return func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = proto.Int32(n) }
}
func revision(r int) deployOpt {
	return func(d *appsv1.Deployment) {
		d.Metadata.Annotations = map[string]string{RevisionAnnotation: strconv.Itoa(r)}
	}
}

// rsOpt shapes a test ReplicaSet.
type rsOpt func(*appsv1.ReplicaSet)

// rs returns a ReplicaSet of d's template with image, as the controller would have made it at
// revision rev for d's replicas: size n, all available, created rev minutes before t0.
func rs(d *appsv1.Deployment, image string, rev int, n int32, opts ...rsOpt) *appsv1.ReplicaSet {
	dd := d.CloneVT()
	dd.Spec.Template = template(image)
	r := newReplicaSet(dd, int64(rev))
	r.Spec.Replicas = proto.Int32(n)
	r.Metadata.Uid = "uid-" + r.Metadata.Name
	r.Metadata.CreationTimestamp = timestamppb.New(t0.Add(time.Duration(rev-100) * time.Minute))
	r.Status = &appsv1.ReplicaSetStatus{Replicas: n, ReadyReplicas: n, AvailableReplicas: n, ObservedGeneration: 1}
	for _, o := range opts {
		o(r)
	}
	return r
}

// available sets how many of a ReplicaSet's replicas are ready and available.
func available(n int32) rsOpt {
	return func(r *appsv1.ReplicaSet) { r.Status.ReadyReplicas, r.Status.AvailableReplicas = n, n }
}

// sizedFor sets the replica annotations as if the Deployment had desired replicas with max.
func sizedFor(desired, maxReplicas int32) rsOpt {
	return func(r *appsv1.ReplicaSet) { setReplicasAnnotations(r, desired, maxReplicas) }
}
func orphan() rsOpt { return func(r *appsv1.ReplicaSet) { r.Metadata.OwnerReferences = nil } }
func labelled(l map[string]string) rsOpt {
	return func(r *appsv1.ReplicaSet) { r.Metadata.Labels = l }
}

// hashOf returns the name of the ReplicaSet of d's template with image.
func hashName(d *appsv1.Deployment, image string) string {
	dd := d.CloneVT()
	dd.Spec.Template = template(image)
	return "web-" + templateHash(dd.Spec.Template, statusOf(dd).CollisionCount)
}
