package replicaset

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/controller"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

const rsKey = "default/web"

func storedRS(t *testing.T, h *harness[*appsv1.ReplicaSet]) *appsv1.ReplicaSet {
	t.Helper()
	rs, ok := clienttest.Stored[*appsv1.ReplicaSet](h.srv, "default", "web")
	require.True(t, ok)
	return rs
}

func names(pods map[string]*corev1.Pod) []string {
	var out []string
	for n := range pods {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestSlowStartBatch checks the batch sizes 1, 2, 4, ... and that a batch with a failure is the
// last one.
func TestSlowStartBatch(t *testing.T) {
	tests := []struct {
		name         string
		count        int
		failAfter    int // calls after this many fail
		wantDone     int
		wantAttempts int
	}{
		{name: "all succeed", count: 10, failAfter: 100, wantDone: 10, wantAttempts: 10},
		{name: "first fails", count: 10, failAfter: 0, wantDone: 0, wantAttempts: 1},
		{name: "fails in the third batch", count: 10, failAfter: 5, wantDone: 5, wantAttempts: 7},
		{name: "last batch is the remainder", count: 5, failAfter: 100, wantDone: 5, wantAttempts: 5},
		{name: "nothing to do", count: 0, failAfter: 100, wantDone: 0, wantAttempts: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var attempts atomic.Int64
			var mu sync.Mutex
			seen := map[int]bool{}
			done, err := slowStartBatch(tt.count, 1, func(i int) error {
				mu.Lock()
				require.False(t, seen[i], "index %d given twice", i)
				seen[i] = true
				mu.Unlock()
				require.Less(t, i, tt.count)
				if attempts.Add(1) > int64(tt.failAfter) {
					return apierrors.NewForbidden("", "pods", "", "no")
				}
				return nil
			})
			require.Equal(t, tt.wantDone, done)
			require.Equal(t, int64(tt.wantAttempts), attempts.Load())
			require.Equal(t, tt.wantDone < tt.count, err != nil)
		})
	}
}

// TestScaleUpSlowStartAndQuota creates 10 pods while a quota admits only 3: the creates stop
// after the batch of 4 that met the quota (1+2+4 attempts), the failure shows in events and the
// ReplicaFailure condition, and once the quota lifts the rest are created and the condition goes.
func TestScaleUpSlowStartAndQuota(t *testing.T) {
	h := start(t, ReplicaSets(), replicaSet("web", 10))
	var creates atomic.Int64
	const why = "exceeded quota: q, requested: pods=1, used: pods=3, limited: pods=3"
	h.srv.Intercept(func(c clienttest.Call) error {
		if c.Verb == clienttest.Create && c.Resource == "pods" && creates.Add(1) > 3 {
			return apierrors.NewForbidden("", "pods", "", why)
		}
		return nil
	})
	_, err := h.reconcile(t, rsKey)
	require.True(t, apierrors.IsForbidden(err), "got %v", err)
	require.Equal(t, int64(7), creates.Load(), "batches of 1, 2, then 4 that failed")
	require.Len(t, h.pods(t), 3)
	require.Equal(t, 3, h.rec.Count("Normal SuccessfulCreate Created pod: web-"))
	require.Equal(t, 4, h.rec.Count("Warning FailedCreate Error creating: "+`pods "" is forbidden: `+why), "the API's message")
	st := storedRS(t, h).GetStatus()
	require.Len(t, st.GetConditions(), 1)
	cond := st.GetConditions()[0]
	require.Equal(t, []string{ReplicaFailure, "True", "FailedCreate"}, []string{cond.GetType(), cond.GetStatus(), cond.GetReason()})
	require.Contains(t, cond.GetMessage(), why)
	for _, p := range h.pods(t) {
		ref := p.GetMetadata().GetOwnerReferences()
		require.Len(t, ref, 1)
		require.Equal(t, "web", ref[0].GetName())
		require.True(t, ref[0].GetController() && ref[0].GetBlockOwnerDeletion())
		require.Equal(t, "web-", p.GetMetadata().GetGenerateName())
		require.Equal(t, "front", p.GetMetadata().GetLabels()["tier"], "labels come from the template")
	}

	h.srv.Intercept(nil)
	_, err = h.reconcile(t, rsKey)
	require.NoError(t, err)
	require.Len(t, h.pods(t), 10)
	_, err = h.reconcile(t, rsKey)
	require.NoError(t, err)
	st = storedRS(t, h).GetStatus()
	require.Empty(t, st.GetConditions(), "the failure condition goes once creates succeed")
	require.Equal(t, int32(10), st.GetReplicas())
	require.Equal(t, int32(10), st.GetFullyLabeledReplicas())
}

// TestScaleDownSlowStartStopsOnFailure scales 10 pods to 0 while the API refuses every delete
// after the first: the deletes stop after the batch of 2 that met the refusal (1+2 attempts),
// and the expectations count only the delete that happened, so the next reconcile goes on.
func TestScaleDownSlowStartStopsOnFailure(t *testing.T) {
	var pods []*corev1.Pod
	for i := range 10 {
		pods = append(pods, pod(fmt.Sprintf("p%d", i), ownedBy("web")))
	}
	h := start(t, ReplicaSets(), objects(replicaSet("web", 0), pods...)...)
	var deletes atomic.Int64
	h.srv.Intercept(func(c clienttest.Call) error {
		if c.Verb == clienttest.Delete && c.Resource == "pods" && deletes.Add(1) > 1 {
			return apierrors.NewForbidden("", "pods", "", "deletes refused")
		}
		return nil
	})
	_, err := h.reconcile(t, rsKey)
	require.True(t, apierrors.IsForbidden(err), "got %v", err)
	require.Equal(t, int64(3), deletes.Load(), "batches of 1, then 2 that failed")
	require.Len(t, h.pods(t), 9)
	require.Equal(t, 2, h.rec.Count("Warning FailedDelete"))

	h.srv.Intercept(nil)
	for range 3 {
		_, err = h.reconcile(t, rsKey)
		require.NoError(t, err)
	}
	require.Empty(t, h.pods(t))
}

// TestScaleDownDeletesLeastValuable scales pods of every kind of value down and checks which
// remain.
func TestScaleDownDeletesLeastValuable(t *testing.T) {
	pods := []*corev1.Pod{
		pod("unassigned", ownedBy("web"), unassigned(), phase("Pending")),
		pod("pending", ownedBy("web"), phase("Pending")),
		pod("unknown", ownedBy("web"), phase("Unknown")),
		pod("notready", ownedBy("web")),
		pod("recentready", ownedBy("web"), readyAt(t0.Add(-time.Minute))),
		pod("restarts", ownedBy("web"), readyAt(t0.Add(-time.Hour)), restarted(5)),
		pod("new", ownedBy("web"), readyAt(t0.Add(-time.Hour)), created(t0.Add(-2*time.Hour))),
		pod("old", ownedBy("web"), readyAt(t0.Add(-time.Hour)), created(t0.Add(-3*time.Hour))),
	}
	tests := []struct {
		replicas int32
		want     []string
	}{
		{replicas: 8, want: []string{"new", "notready", "old", "pending", "recentready", "restarts", "unassigned", "unknown"}},
		{replicas: 7, want: []string{"new", "notready", "old", "pending", "recentready", "restarts", "unknown"}},
		{replicas: 4, want: []string{"new", "old", "recentready", "restarts"}},
		{replicas: 3, want: []string{"new", "old", "restarts"}},
		{replicas: 2, want: []string{"new", "old"}},
		{replicas: 1, want: []string{"old"}},
		{replicas: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("replicas=%d", tt.replicas), func(t *testing.T) {
			h := start(t, ReplicaSets(), objects(replicaSet("web", tt.replicas), pods...)...)
			_, err := h.reconcile(t, rsKey)
			require.NoError(t, err)
			require.Equal(t, tt.want, names(h.pods(t)))
			require.Equal(t, len(pods)-len(tt.want), h.rec.Count("Normal SuccessfulDelete Deleted pod: "))
			_, err = h.reconcile(t, rsKey)
			require.NoError(t, err)
			require.Equal(t, tt.want, names(h.pods(t)), "a second reconcile changes nothing")
		})
	}
}

// TestClaim checks adoption and release on a ReplicaSet that already has its one pod.
func TestClaim(t *testing.T) {
	other := map[string]string{"app": "db"}
	h := start(t, ReplicaSets(), replicaSet("web", 2),
		pod("orphan"),                                     // matches, no controller: adopted
		pod("orphan-other", withLabels(other)),            // does not match: left alone
		pod("theirs", ownedBy("api")),                     // another controller's: left alone
		pod("strayed", ownedBy("web"), withLabels(other)), // ours, no longer matches: released
		pod("orphan-deleting", deleting()),                // being deleted: not adopted
		pod("orphan-done", phase("Succeeded")),            // terminated: not adopted
	)
	_, err := h.reconcile(t, rsKey)
	require.NoError(t, err)
	got := h.pods(t)
	refOf := func(name string) string {
		refs := got[name].GetMetadata().GetOwnerReferences()
		if len(refs) == 0 {
			return ""
		}
		require.Len(t, refs, 1)
		require.True(t, refs[0].GetController() && refs[0].GetBlockOwnerDeletion(), "%s: controller and blockOwnerDeletion", name)
		return refs[0].GetKind() + "/" + refs[0].GetName() + "/" + refs[0].GetUid()
	}
	require.Equal(t, "ReplicaSet/web/uid-web", refOf("orphan"))
	require.Empty(t, refOf("orphan-other"))
	require.Equal(t, "ReplicaSet/api/uid-api", refOf("theirs"))
	require.Empty(t, refOf("strayed"))
	require.Empty(t, refOf("orphan-deleting"))
	require.Empty(t, refOf("orphan-done"))
	require.Len(t, got, 7, "one pod created next to the adopted one")
	_, err = h.reconcile(t, rsKey)
	require.NoError(t, err)
	require.Equal(t, int32(2), storedRS(t, h).GetStatus().GetReplicas())
}

// TestExpectationsPreventDoubleCreates freezes the pod informer after the first creates: the
// cache still shows no pods, and the controller does not create them again until the
// expectation lapses.
func TestExpectationsPreventDoubleCreates(t *testing.T) {
	h := start(t, ReplicaSets(), replicaSet("web", 3))
	h.settle(t, rsKey)
	h.freeze()
	_, err := h.c.reconcile(h.ctx, rsKey)
	require.NoError(t, err)
	require.Len(t, h.pods(t), 3)
	require.Empty(t, h.c.pods.Lister().List(), "the cache lags behind")
	for range 3 {
		_, err = h.c.reconcile(h.ctx, rsKey)
		require.NoError(t, err)
	}
	require.Len(t, h.pods(t), 3, "no create before the informer showed the last ones")
	require.Equal(t, 3, h.srv.Calls(clienttest.Create, "pods"))

	// The guard is the expectation: once it lapses, the stale cache leads to creates.
	h.clk.Step(controller.DefaultExpectationsTTL + time.Nanosecond)
	_, err = h.c.reconcile(h.ctx, rsKey)
	require.NoError(t, err)
	require.Len(t, h.pods(t), 6)
}

// TestDeletingPodsAreNotCounted replaces a pod being deleted.
func TestDeletingPodsAreNotCounted(t *testing.T) {
	h := start(t, ReplicaSets(), replicaSet("web", 2),
		pod("a", ownedBy("web")), pod("b", ownedBy("web"), deleting()))
	_, err := h.reconcile(t, rsKey)
	require.NoError(t, err)
	require.Len(t, h.pods(t), 3)
	_, err = h.reconcile(t, rsKey)
	require.NoError(t, err)
	require.Equal(t, int32(2), storedRS(t, h).GetStatus().GetReplicas())
}

// TestStatus computes status for pods of every readiness under several minReadySeconds.
func TestStatus(t *testing.T) {
	pods := func() []*corev1.Pod {
		return []*corev1.Pod{
			pod("long-ready", ownedBy("web"), readyAt(t0.Add(-20*time.Second))),
			pod("just-ready", ownedBy("web"), readyAt(t0.Add(-5*time.Second))),
			pod("not-ready", ownedBy("web")),
			pod("partly-labelled", ownedBy("web"), withLabels(map[string]string{"app": "web"})),
		}
	}
	tests := []struct {
		minReady      int32
		wantAvailable int32
		wantRequeue   time.Duration
	}{
		{minReady: 0, wantAvailable: 2},
		{minReady: 5, wantAvailable: 2},
		{minReady: 10, wantAvailable: 1, wantRequeue: 10 * time.Second},
		{minReady: 30, wantAvailable: 0, wantRequeue: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("minReadySeconds=%d", tt.minReady), func(t *testing.T) {
			rs := replicaSet("web", 4)
			rs.Spec.MinReadySeconds = tt.minReady
			h := start(t, ReplicaSets(), objects(rs, pods()...)...)
			res, err := h.reconcile(t, rsKey)
			require.NoError(t, err)
			require.Equal(t, tt.wantRequeue, res.RequeueAfter)
			st := storedRS(t, h).GetStatus()
			require.Equal(t, []int32{4, 3, 2, tt.wantAvailable}, []int32{st.GetReplicas(), st.GetFullyLabeledReplicas(), st.GetReadyReplicas(), st.GetAvailableReplicas()})
			require.Equal(t, storedRS(t, h).GetMetadata().GetGeneration(), st.GetObservedGeneration())
			require.Zero(t, h.srv.Calls(clienttest.Create, "pods")+h.srv.Calls(clienttest.Delete, "pods"))
		})
	}
}
