package statefulset

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events/eventstest"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// harness is a controller over an in-memory API, its informers running, its reconcile called by
// the test.
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
	c := New(Config{Client: srv.Client(), Informers: factory, Recorder: rec, Workers: 1, Clock: clk, Logger: zaptest.NewLogger(t)})
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

// sync waits until the informers hold exactly what the API holds, then reconciles the set once.
func (h *harness) sync(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		return same(t, h, h.c.pods.Lister().ListNamespace("default"), h.srv.Client().Pods("default")) &&
			same(t, h, h.c.sets.Lister().ListNamespace("default"), h.srv.Client().StatefulSets("default")) &&
			same(t, h, h.c.revisions.Lister().ListNamespace("default"), h.srv.Client().ControllerRevisions("default"))
	}, 10*time.Second, time.Millisecond, "caches catch up with the API")
	_, err := h.c.reconcile(h.ctx, "default/web")
	require.NoError(t, err)
}

// same reports whether cached holds the objects res lists, at the same resource versions.
func same[T scheme.Object](t *testing.T, h *harness, cached []T, res *client.Resource[T]) bool {
	t.Helper()
	l, err := res.List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	if len(l.Items) != len(cached) {
		return false
	}
	want := map[string]string{}
	for _, o := range l.Items {
		want[o.GetMetadata().GetName()] = o.GetMetadata().GetResourceVersion()
	}
	for _, o := range cached {
		if want[o.GetMetadata().GetName()] != o.GetMetadata().GetResourceVersion() {
			return false
		}
	}
	return true
}

// set returns the stored set.
func (h *harness) set(t *testing.T) *appsv1.StatefulSet {
	t.Helper()
	s, err := h.srv.Client().StatefulSets("default").Get(h.ctx, "web")
	require.NoError(t, err)
	return s
}

// update applies fn to the stored set.
func (h *harness) update(t *testing.T, fn func(*appsv1.StatefulSet)) {
	t.Helper()
	s := h.set(t)
	fn(s)
	_, err := h.srv.Client().StatefulSets("default").Update(h.ctx, s)
	require.NoError(t, err)
}

// pods returns the stored pods by name, with their revision label and image.
func (h *harness) pods(t *testing.T) map[string]*corev1.Pod {
	t.Helper()
	l, err := h.srv.Client().Pods("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	out := map[string]*corev1.Pod{}
	for _, p := range l.Items {
		out[p.GetMetadata().GetName()] = p
	}
	return out
}

// names returns the names of the stored pods that are not being deleted, sorted.
func (h *harness) names(t *testing.T) []string {
	t.Helper()
	var out []string
	for n, p := range h.pods(t) {
		if p.GetMetadata().GetDeletionTimestamp() == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// ready makes the named pods Running and Ready since the fake clock's now.
func (h *harness) ready(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		p, err := h.srv.Client().Pods("default").Get(h.ctx, n)
		require.NoError(t, err)
		p.Status = &corev1.PodStatus{Phase: "Running", Conditions: []*corev1.PodCondition{
			{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.New(h.clk.Now())},
		}}
		_, err = h.srv.Client().Pods("default").UpdateStatus(h.ctx, p)
		require.NoError(t, err)
	}
}

// hold is the finalizer the test template gives pods, so that a deleted pod stays, as one
// whose kubelet is stopping it, until finish.
const hold = "test.keelson.dev/hold"

// finish removes pods being deleted, as their kubelet would once they stopped.
func (h *harness) finish(t *testing.T) {
	t.Helper()
	for _, p := range h.pods(t) {
		if p.GetMetadata().GetDeletionTimestamp() != nil {
			p.Metadata.Finalizers = nil
			_, err := h.srv.Client().Pods("default").Update(h.ctx, p)
			require.NoError(t, err)
		}
	}
}

func webSet(replicas int32, policy string) *appsv1.StatefulSet {
	labels := map[string]string{"app": "web"}
	return &appsv1.StatefulSet{
		Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: "web-svc", PodManagementPolicy: policy,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: labels, Finalizers: []string{hold}},
				Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "img:1"}}},
			},
		},
	}
}

// remove deletes the named pod and lets it go at once.
func (h *harness) remove(t *testing.T, name string) {
	t.Helper()
	require.NoError(t, h.srv.Client().Pods("default").Delete(h.ctx, name))
	h.finish(t)
}

// mustField returns the JSON of data's spec.template[key].
func mustField(t *testing.T, data []byte, key string) []byte {
	t.Helper()
	var v struct {
		Spec struct {
			Template map[string]json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	require.NoError(t, json.Unmarshal(data, &v))
	return v.Spec.Template[key]
}
