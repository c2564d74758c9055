package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestHealthAndTaints runs monitor passes over one node, the clock stepped between them, and
// checks its Ready condition and taints afterwards. A second, healthy node is always there.
func TestHealthAndTaints(t *testing.T) {
	const grace = 40 * time.Second
	tests := []struct {
		name string
		objs []scheme.Object
		// steps are the clock steps between passes (a pass runs first, then after each step);
		// renew, when set, renews the node's Lease before the pass after that step.
		steps      []time.Duration
		renew      bool
		wantReady  string
		wantReason string
		wantTaints []string
	}{{
		name:      "a node heard from within the grace period stays ready",
		objs:      []scheme.Object{node("n", statusTrue)},
		steps:     []time.Duration{grace},
		wantReady: statusTrue,
	}, {
		name:       "a node silent for longer than the grace period becomes unknown and unreachable",
		objs:       []scheme.Object{node("n", statusTrue), lease("n", epoch)},
		steps:      []time.Duration{grace / 2, grace/2 + time.Second},
		wantReady:  statusUnknown,
		wantReason: ReasonNodeStatusUnknown,
		wantTaints: []string{TaintUnreachable + ":NoExecute", TaintUnreachable + ":NoSchedule"},
	}, {
		name:      "a renewed lease keeps a node with an old heartbeat ready",
		objs:      []scheme.Object{node("n", statusTrue), lease("n", epoch)},
		steps:     []time.Duration{grace - time.Second, grace - time.Second},
		renew:     true,
		wantReady: statusTrue,
	}, {
		name:       "a node reporting not ready gets the not-ready taints",
		objs:       []scheme.Object{node("n", statusFalse)},
		wantReady:  statusFalse,
		wantTaints: []string{TaintNotReady + ":NoExecute", TaintNotReady + ":NoSchedule"},
	}, {
		name: "a node ready again loses the controller's taints and keeps the others",
		objs: []scheme.Object{node("n", statusTrue, withTaint(TaintUnreachable, "NoExecute", epoch),
			withTaint(TaintUnreachable, "NoSchedule", epoch), withTaint("dedicated", "NoSchedule", epoch))},
		wantReady:  statusTrue,
		wantTaints: []string{"dedicated:NoSchedule"},
	}, {
		name:       "an unreachable node's taint is swapped when it reports not ready",
		objs:       []scheme.Object{node("n", statusFalse, withTaint(TaintUnreachable, "NoExecute", epoch))},
		wantReady:  statusFalse,
		wantTaints: []string{TaintNotReady + ":NoExecute", TaintNotReady + ":NoSchedule"},
	}, {
		name:       "pressure conditions and unschedulable taint NoSchedule",
		objs:       []scheme.Object{node("n", statusTrue, withCondition("MemoryPressure", statusTrue), func(n *corev1.Node) { n.Spec.Unschedulable = true })},
		wantReady:  statusTrue,
		wantTaints: []string{TaintMemoryPressure + ":NoSchedule", TaintUnschedulable + ":NoSchedule"},
	}, {
		name:       "a node that never posted status gets unknown conditions after the startup grace period",
		objs:       []scheme.Object{node("n", "")},
		wantReady:  statusUnknown,
		wantReason: ReasonNodeStatusNeverUpdated,
		wantTaints: []string{TaintUnreachable + ":NoExecute", TaintUnreachable + ":NoSchedule"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A healthy node keeps the cluster out of full disruption.
			fx := start(t, Options{GracePeriod: grace}, append(tt.objs, node("healthy", statusTrue))...)
			fx.pass()
			for _, d := range tt.steps {
				fx.clk.Step(d)
				fx.post("healthy", statusTrue)
				if tt.renew {
					l, err := fx.srv.Client().Leases(LeaseNamespace).Get(fx.ctx, "n")
					require.NoError(t, err)
					l.Spec.RenewTime = timestamppb.New(fx.clk.Now())
					_, err = fx.srv.Client().Leases(LeaseNamespace).Update(fx.ctx, l)
					require.NoError(t, err)
				}
				fx.pass()
			}
			n := fx.node("n")
			require.Equal(t, tt.wantReady, readyStatus(n))
			if tt.wantReason != "" {
				for _, typ := range kubeletConditions {
					require.Equal(t, statusUnknown, condition(n, typ).GetStatus(), typ)
					require.Equal(t, tt.wantReason, condition(n, typ).GetReason(), typ)
				}
			}
			require.Equal(t, tt.wantTaints, fx.taintsOf("n"))
		})
	}
}

// TestUnknownNodeComesBack marks a silent node unhealthy, then lets its kubelet post Ready
// again: the taints go and the conditions are the kubelet's.
func TestUnknownNodeComesBack(t *testing.T) {
	fx := start(t, Options{GracePeriod: 10 * time.Second}, node("n", statusTrue), node("other", statusTrue),
		pod("p", "n"), pod("q", "other"))
	fx.pass()
	fx.clk.Step(11 * time.Second)
	// other's kubelet is alive.
	fx.post("other", statusTrue)
	fx.pass()
	require.Equal(t, statusUnknown, readyStatus(fx.node("n")))
	require.Equal(t, statusTrue, readyStatus(fx.node("other")))
	require.Contains(t, fx.taintsOf("n"), TaintUnreachable+":NoExecute")
	require.Empty(t, fx.taintsOf("other"))

	p, _ := fx.ctl.pods.Lister().Get("default", "p")
	require.Equal(t, statusFalse, p.GetStatus().GetConditions()[0].GetStatus(), "pods of an unreachable node are not ready")
	q, _ := fx.ctl.pods.Lister().Get("default", "q")
	require.Equal(t, statusTrue, q.GetStatus().GetConditions()[0].GetStatus())

	fx.clk.Step(time.Second)
	fx.post("n", statusTrue)
	fx.pass()
	require.Equal(t, statusTrue, readyStatus(fx.node("n")))
	require.Empty(t, fx.taintsOf("n"))
}

// post writes a heartbeat as a kubelet does: every condition posted now, Ready as given.
func (fx *fixture) post(name, ready string) {
	fx.t.Helper()
	n, err := fx.srv.Client().Nodes().Get(fx.ctx, name)
	require.NoError(fx.t, err)
	n.Status = node(name, ready).Status
	for _, c := range n.Status.Conditions {
		c.LastHeartbeatTime = timestamppb.New(fx.clk.Now())
	}
	_, err = fx.srv.Client().Nodes().UpdateStatus(fx.ctx, n)
	require.NoError(fx.t, err)
}
