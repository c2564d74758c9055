package nodelifecycle

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type nodeOpt func(*corev1.Node)

// node returns a node whose kubelet posted Ready=status (none when "") at epoch.
func node(name, ready string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: name, CreationTimestamp: timestamppb.New(epoch.Add(-time.Hour))},
		Spec:     &corev1.NodeSpec{},
		Status:   &corev1.NodeStatus{},
	}
	if ready != "" {
		for _, typ := range kubeletConditions {
			st := statusFalse
			if typ == conditionReady {
				st = ready
			}
			n.Status.Conditions = append(n.Status.Conditions, &corev1.NodeCondition{
				Type: typ, Status: st, LastHeartbeatTime: timestamppb.New(epoch), LastTransitionTime: timestamppb.New(epoch),
			})
		}
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func inZone(z string) nodeOpt {
	return func(n *corev1.Node) { n.Metadata.Labels = map[string]string{ZoneLabel: z} }
}

func withTaint(key, effect string, added time.Time) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, &corev1.Taint{Key: key, Effect: effect, TimeAdded: timestamppb.New(added)})
	}
}

func withCondition(typ, status string) nodeOpt {
	return func(n *corev1.Node) {
		if c := condition(n, typ); c != nil {
			c.Status = status
			return
		}
		n.Status.Conditions = append(n.Status.Conditions, &corev1.NodeCondition{Type: typ, Status: status})
	}
}

func lease(name string, renew time.Time) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: LeaseNamespace},
		Spec:     &coordinationv1.LeaseSpec{HolderIdentity: proto.String(name), RenewTime: timestamppb.New(renew)},
	}
}

type podOpt func(*corev1.Pod)

func pod(name, nodeName string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Uid: "uid-" + name},
		Spec:     &corev1.PodSpec{NodeName: nodeName, Containers: []*corev1.Container{{Name: "c", Image: "busybox"}}},
		Status: &corev1.PodStatus{Phase: "Running", Conditions: []*corev1.PodCondition{{
			Type: conditionReady, Status: statusTrue,
		}}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// tolerating adds a toleration of key's NoExecute taint for seconds (forever when negative).
func tolerating(key string, seconds int64) podOpt {
	return func(p *corev1.Pod) {
		tol := &corev1.Toleration{Key: key, Operator: "Exists", Effect: "NoExecute"}
		if seconds >= 0 {
			tol.TolerationSeconds = proto.Int64(seconds)
		}
		p.Spec.Tolerations = append(p.Spec.Tolerations, tol)
	}
}

// fixture is a controller over a fake API, its informers synced, driven by a fake clock.
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

// settle waits until the informers hold every node, lease and pod as stored.
func (fx *fixture) settle() {
	fx.t.Helper()
	require.Eventually(fx.t, func() bool {
		return mirrored(fx.srv, fx.ctl.nodes) && mirrored(fx.srv, fx.ctl.pods) && mirrored(fx.srv, fx.ctl.leases)
	}, 10*time.Second, 5*time.Millisecond, "informers catch up with the API")
}

func mirrored[T scheme.Object](srv *clienttest.Server, inf *informer.Informer[T]) bool {
	list, err := listAll[T](srv)
	if err != nil || len(list) != len(inf.Lister().List()) {
		return false
	}
	for _, o := range list {
		got, ok := inf.Lister().Get(o.GetMetadata().GetNamespace(), o.GetMetadata().GetName())
		if !ok || got.GetMetadata().GetResourceVersion() != o.GetMetadata().GetResourceVersion() {
			return false
		}
	}
	return true
}

func listAll[T scheme.Object](srv *clienttest.Server) ([]T, error) {
	l, err := client.For[T](srv.Client(), "").List(context.Background(), client.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// pass runs one monitor pass and waits for the informers to see its writes.
func (fx *fixture) pass() {
	fx.t.Helper()
	fx.settle()
	require.NoError(fx.t, fx.ctl.monitor(fx.ctx))
	fx.settle()
}

func (fx *fixture) node(name string) *corev1.Node {
	fx.t.Helper()
	n, ok := clienttest.Stored[*corev1.Node](fx.srv, "", name)
	require.True(fx.t, ok, "node %s exists", name)
	return n
}

// taintsOf returns a node's taints as key:effect, sorted.
func (fx *fixture) taintsOf(name string) []string {
	fx.t.Helper()
	var out []string
	for _, t := range fx.node(name).GetSpec().GetTaints() {
		out = append(out, t.GetKey()+":"+t.GetEffect())
	}
	slices.Sort(out)
	return out
}

// noExecuteTainted counts the nodes with the controller's NoExecute taint.
func (fx *fixture) noExecuteTainted() int {
	fx.t.Helper()
	n := 0
	for _, nd := range fx.ctl.nodes.Lister().List() {
		if currentNoExecute(fx.node(nd.GetMetadata().GetName())) != "" {
			n++
		}
	}
	return n
}
