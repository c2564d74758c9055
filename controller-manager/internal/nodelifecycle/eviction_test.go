package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestEvictionAfterToleration reconciles one pod on a node tainted unreachable:NoExecute ten
// seconds before the clock's start, then again after step, and checks whether it was deleted
// each time and when it asked to come back.
func TestEvictionAfterToleration(t *testing.T) {
	tainted := node("n", statusUnknown, withTaint(TaintUnreachable, "NoExecute", epoch.Add(-10*time.Second)))
	tests := []struct {
		name        string
		node        *corev1.Node
		pod         *corev1.Pod
		wantRequeue time.Duration
		wantDeleted bool
		// step, if set, passes before a second reconcile, after which wantDeletedLater holds.
		step             time.Duration
		wantDeletedLater bool
	}{{
		name:        "no toleration: evicted at once",
		node:        tainted,
		pod:         pod("p", "n"),
		wantDeleted: true,
	}, {
		name:        "a toleration of another taint does not help",
		node:        tainted,
		pod:         pod("p", "n", tolerating(TaintNotReady, 300)),
		wantDeleted: true,
	}, {
		name:             "tolerated for 300s: evicted 300s after the taint",
		node:             tainted,
		pod:              pod("p", "n", tolerating(TaintUnreachable, 300)),
		wantRequeue:      290 * time.Second,
		step:             290 * time.Second,
		wantDeletedLater: true,
	}, {
		name:        "tolerated for 300s, looked at too early, stays",
		node:        tainted,
		pod:         pod("p", "n", tolerating(TaintUnreachable, 300)),
		wantRequeue: 290 * time.Second,
		step:        289 * time.Second,
	}, {
		name:        "the longest matching toleration counts",
		node:        tainted,
		pod:         pod("p", "n", tolerating(TaintUnreachable, 20), tolerating("", 60)),
		wantRequeue: 50 * time.Second,
	}, {
		name:        "tolerated forever: never evicted",
		node:        tainted,
		pod:         pod("p", "n", tolerating(TaintUnreachable, -1)),
		step:        24 * time.Hour,
		wantDeleted: false,
	}, {
		name: "a taint without timeAdded counts from when it was first seen",
		node: node("n", statusTrue, func(n *corev1.Node) {
			n.Spec.Taints = []*corev1.Taint{{Key: "maintenance", Effect: "NoExecute"}}
		}),
		pod:              pod("p", "n", tolerating("maintenance", 30)),
		wantRequeue:      30 * time.Second,
		step:             30 * time.Second,
		wantDeletedLater: true,
	}, {
		name: "a node without NoExecute taints keeps its pods",
		node: node("n", statusUnknown, withTaint(TaintUnreachable, "NoSchedule", epoch)),
		pod:  pod("p", "n"),
	}, {
		name: "the shortest of several taints counts",
		node: node("n", statusFalse, withTaint(TaintNotReady, "NoExecute", epoch), withTaint("maintenance", "NoExecute", epoch)),
		pod: pod("p", "n", tolerating(TaintNotReady, 100), func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, &corev1.Toleration{Key: "maintenance", Operator: "Exists"})
		}),
		wantRequeue: 100 * time.Second,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := start(t, Options{}, []scheme.Object{tt.node, tt.pod}...)
			fx.settle()
			res, err := fx.ctl.reconcilePod(fx.ctx, "default/p")
			require.NoError(t, err)
			require.Equal(t, tt.wantRequeue, res.RequeueAfter)
			_, exists := clienttest.Stored[*corev1.Pod](fx.srv, "default", "p")
			require.Equal(t, tt.wantDeleted, !exists)
			if tt.step == 0 {
				return
			}
			fx.clk.Step(tt.step)
			fx.settle()
			_, err = fx.ctl.reconcilePod(fx.ctx, "default/p")
			require.NoError(t, err)
			_, exists = clienttest.Stored[*corev1.Pod](fx.srv, "default", "p")
			require.Equal(t, tt.wantDeletedLater, !exists)
		})
	}
}

// TestEvictionMarksDisruption checks that an evicted pod is marked DisruptionTarget before it
// goes, and that a pod held by a finalizer is not deleted twice.
func TestEvictionMarksDisruption(t *testing.T) {
	held := pod("p", "n")
	held.Metadata.Finalizers = []string{"test/hold"}
	fx := start(t, Options{}, node("n", statusFalse, withTaint(TaintNotReady, "NoExecute", epoch)), held)
	fx.settle()
	_, err := fx.ctl.reconcilePod(fx.ctx, "default/p")
	require.NoError(t, err)
	p, ok := clienttest.Stored[*corev1.Pod](fx.srv, "default", "p")
	require.True(t, ok)
	require.NotNil(t, p.GetMetadata().GetDeletionTimestamp())
	var reasons []string
	for _, c := range p.GetStatus().GetConditions() {
		reasons = append(reasons, c.GetType()+"/"+c.GetReason())
	}
	require.Contains(t, reasons, "DisruptionTarget/DeletionByTaintManager")

	fx.settle()
	deletes := fx.srv.Calls(clienttest.Delete, "pods")
	_, err = fx.ctl.reconcilePod(fx.ctx, "default/p")
	require.NoError(t, err)
	require.Equal(t, deletes, fx.srv.Calls(clienttest.Delete, "pods"), "a terminating pod is not deleted again")
}
