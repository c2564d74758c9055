package podgc

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type podOpt func(*corev1.Pod)

// pod returns a running pod on nodeName created age before epoch.
func pod(name, nodeName string, age time.Duration, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name,
			CreationTimestamp: timestamppb.New(epoch.Add(-age))},
		Spec:   &corev1.PodSpec{NodeName: nodeName, Containers: []*corev1.Container{{Name: "c", Image: "busybox"}}},
		Status: &corev1.PodStatus{Phase: "Running"},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func phase(ph string) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func reason(r string) podOpt { return func(p *corev1.Pod) { p.Status.Reason = r } }

// terminating marks the pod deleted, as the graceful deletion of a pod leaves it until its
// kubelet confirms (the fake API keeps a pod seeded so until it is deleted).
func terminating() podOpt {
	return func(p *corev1.Pod) { p.Metadata.DeletionTimestamp = timestamppb.New(epoch) }
}

func node(name string) *corev1.Node {
	return &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name}}
}

type fixture struct {
	t   *testing.T
	ctl *Controller
	srv *clienttest.Server
	clk *clock.Fake
	ctx context.Context
}

func start(t *testing.T, opts Options, objs ...scheme.Object) *fixture {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(epoch)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	ctl, err := New(srv.Client(), f, nil, clk, zaptest.NewLogger(t), opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx)
	require.True(t, f.WaitForSync(ctx))
	return &fixture{t: t, ctl: ctl, srv: srv, clk: clk, ctx: ctx}
}

// pass runs one collection once the informers hold what is stored.
func (fx *fixture) pass() {
	fx.t.Helper()
	require.Eventually(fx.t, func() bool {
		pods, err := fx.srv.Client().Pods("").List(fx.ctx, client.ListOptions{})
		if err != nil || len(pods.Items) != len(fx.ctl.pods.Lister().List()) {
			return false
		}
		nodes, err := fx.srv.Client().Nodes().List(fx.ctx, client.ListOptions{})
		return err == nil && len(nodes.Items) == len(fx.ctl.nodes.Lister().List())
	}, 10*time.Second, 5*time.Millisecond, "informers catch up with the API")
	require.NoError(fx.t, fx.ctl.gc(fx.ctx))
}

// remaining returns the names of the pods left, sorted.
func (fx *fixture) remaining() []string {
	fx.t.Helper()
	pods, err := fx.srv.Client().Pods("").List(fx.ctx, client.ListOptions{})
	require.NoError(fx.t, err)
	var out []string
	for _, p := range pods.Items {
		out = append(out, p.GetMetadata().GetName())
	}
	slices.Sort(out)
	return out
}

func TestCollect(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		objs  []scheme.Object
		steps []time.Duration
		// want is the pods left after the first pass and after each step's pass.
		want [][]string
	}{{
		name: "terminated pods over the threshold go, oldest and evicted first",
		opts: Options{TerminatedPodThreshold: 2},
		objs: []scheme.Object{node("n"),
			pod("old", "n", 3*time.Hour, phase("Succeeded")), pod("mid", "n", 2*time.Hour, phase("Failed")),
			pod("new", "n", time.Hour, phase("Succeeded")), pod("evicted", "n", time.Minute, phase("Failed"), reason("Evicted")),
			pod("running", "n", 4*time.Hour)},
		want: [][]string{{"mid", "new", "running"}},
	}, {
		name: "a threshold of zero keeps every terminated pod",
		objs: []scheme.Object{node("n"), pod("a", "n", time.Hour, phase("Succeeded")), pod("b", "n", time.Hour, phase("Failed"))},
		want: [][]string{{"a", "b"}},
	}, {
		name: "pods of a missing node go after the quarantine",
		opts: Options{Quarantine: 40 * time.Second},
		objs: []scheme.Object{node("n"), pod("kept", "n", time.Hour), pod("orphan", "gone", time.Hour),
			pod("done-orphan", "gone", time.Hour, phase("Succeeded"))},
		steps: []time.Duration{39 * time.Second, time.Second},
		want:  [][]string{{"done-orphan", "kept", "orphan"}, {"done-orphan", "kept", "orphan"}, {"kept"}},
	}, {
		name: "unscheduled terminating pods go at once, scheduled ones wait for their kubelet",
		objs: []scheme.Object{node("n"), pod("unscheduled", "", time.Hour, terminating()), pod("pending", "", time.Hour),
			pod("scheduled", "n", time.Hour, terminating())},
		want: [][]string{{"pending", "scheduled"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := start(t, tt.opts, tt.objs...)
			fx.pass()
			got := [][]string{fx.remaining()}
			for _, d := range tt.steps {
				fx.clk.Step(d)
				fx.pass()
				got = append(got, fx.remaining())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestOrphanOfRecreatedNode checks that pods of a node that comes back during the quarantine
// stays, also when the cache has not seen the new node yet.
func TestOrphanOfRecreatedNode(t *testing.T) {
	fx := start(t, Options{Quarantine: 10 * time.Second}, pod("p", "late", time.Hour))
	fx.pass()
	fx.clk.Step(10 * time.Second)
	// The node appears in the API; whether or not the informer has seen it yet (if not, the pass
	// must ask the API), the pod stays.
	_, err := fx.srv.Client().Nodes().Create(fx.ctx, node("late"))
	require.NoError(t, err)
	require.NoError(t, fx.ctl.gcOrphaned(fx.ctx, fx.ctl.pods.Lister().List()))
	require.Equal(t, []string{"p"}, fx.remaining())
	for i := range 3 {
		fx.clk.Step(time.Minute)
		fx.pass()
		require.Equal(t, []string{"p"}, fx.remaining(), fmt.Sprintf("pass %d", i))
	}
}

// TestOrphanMarkedFailed checks the status an orphaned running pod is given before it goes.
func TestOrphanMarkedFailed(t *testing.T) {
	held := pod("p", "gone", time.Hour)
	held.Metadata.Finalizers = []string{"test/hold"}
	fx := start(t, Options{Quarantine: time.Second}, held)
	fx.pass()
	fx.clk.Step(time.Second)
	fx.pass()
	p, ok := clienttest.Stored[*corev1.Pod](fx.srv, "default", "p")
	require.True(t, ok)
	require.NotNil(t, p.GetMetadata().GetDeletionTimestamp())
	require.Equal(t, "Failed", p.GetStatus().GetPhase())
	require.Equal(t, "DeletionByPodGC", p.GetStatus().GetConditions()[0].GetReason())
}
