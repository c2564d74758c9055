package replicaset

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
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

// harness is a controller of kind T over an in-memory API, its informers running, its reconcile
// called by the test.
type harness[T scheme.Object] struct {
	srv    *clienttest.Server
	clk    *clock.Fake
	rec    *eventstest.Recorder
	c      *Controller[T]
	ctx    context.Context
	freeze func() // stops the informers: the cache keeps what it holds and learns nothing more
}

func start[T scheme.Object](t *testing.T, kind Kind[T], objs ...scheme.Object) *harness[T] {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(t0)
	rec := &eventstest.Recorder{}
	factory := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	c := New(Config[T]{Kind: kind, Client: srv.Client(), Informers: factory, Recorder: rec, Workers: 1, Clock: clk, Logger: zaptest.NewLogger(t)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	infCtx, stopInformers := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- factory.Run(infCtx) }()
	var once sync.Once
	freeze := func() {
		once.Do(func() {
			stopInformers()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(func() {
		freeze()
		cancel()
	})
	require.True(t, factory.WaitForSync(ctx))
	return &harness[T]{srv: srv, clk: clk, rec: rec, c: c, ctx: ctx, freeze: freeze}
}

// settle waits until the informers have seen every write and the controller has observed
// every create and delete it expects of key.
func (h *harness[T]) settle(t *testing.T, key string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		seen := max(rv(h.c.pods.LastResourceVersion()), rv(h.c.owners.LastResourceVersion()))
		if seen >= rv(h.srv.ResourceVersion()) && h.c.expectations.Satisfied(key) {
			return
		}
		if time.Now().After(deadline) {
			adds, dels := h.c.expectations.Pending(key)
			t.Fatalf("cache did not catch up: seen rv %d of %s, pending adds %d dels %d", seen, h.srv.ResourceVersion(), adds, dels)
		}
		<-tick.C
	}
}

func rv(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// reconcile settles, then reconciles key once.
func (h *harness[T]) reconcile(t *testing.T, key string) (controller.Result, error) {
	t.Helper()
	h.settle(t, key)
	return h.c.reconcile(h.ctx, key)
}

// pods returns the stored pods of the default namespace by name.
func (h *harness[T]) pods(t *testing.T) map[string]*corev1.Pod {
	t.Helper()
	list, err := h.srv.Client().Pods("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	out := map[string]*corev1.Pod{}
	for _, p := range list.Items {
		out[p.GetMetadata().GetName()] = p
	}
	return out
}

// replicaSet returns a ReplicaSet selecting app=web with a template labelled app=web,tier=front.
func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name},
		Spec: &appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template(),
		},
	}
}

func template() *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}},
		Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

// podOpt shapes a test pod.
type podOpt func(*corev1.Pod)

func pod(name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web", "tier": "front"},
			CreationTimestamp: timestamppb.New(t0.Add(-time.Hour))},
		Spec:   &corev1.PodSpec{NodeName: "node-a", Containers: []*corev1.Container{{Name: "c", Image: "busybox"}}},
		Status: &corev1.PodStatus{Phase: "Running"},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func ownedBy(owner string) podOpt {
	return func(p *corev1.Pod) {
		yes := true
		p.Metadata.OwnerReferences = append(p.Metadata.OwnerReferences, &metav1.OwnerReference{
			ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: owner, Uid: "uid-" + owner, Controller: &yes, BlockOwnerDeletion: &yes})
	}
}

func withLabels(l map[string]string) podOpt { return func(p *corev1.Pod) { p.Metadata.Labels = l } }
func unassigned() podOpt                    { return func(p *corev1.Pod) { p.Spec.NodeName = "" } }
func phase(ph string) podOpt                { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func created(at time.Time) podOpt {
	return func(p *corev1.Pod) { p.Metadata.CreationTimestamp = timestamppb.New(at) }
}
func deleting() podOpt {
	return func(p *corev1.Pod) { p.Metadata.DeletionTimestamp = timestamppb.New(t0) }
}
func readyAt(at time.Time) podOpt {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, &corev1.PodCondition{Type: "Ready", Status: "True", LastTransitionTime: timestamppb.New(at)})
	}
}
func restarted(n int32) podOpt {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, &corev1.ContainerStatus{Name: "c", RestartCount: n})
	}
}

// objects lists owner and pods as seeds for start.
func objects(owner scheme.Object, pods ...*corev1.Pod) []scheme.Object {
	out := []scheme.Object{owner}
	for _, p := range pods {
		out = append(out, p)
	}
	return out
}
