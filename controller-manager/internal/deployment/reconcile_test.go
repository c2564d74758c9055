package deployment

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestReconcile reconciles a Deployment once from a table of cluster states and checks the
// ReplicaSets, annotations, status and events that one step leaves.
func TestReconcile(t *testing.T) {
	d3 := deploy(3, "v2") // surge 1, unavailable 0 at 3 replicas
	d10 := deploy(10, "v2")
	tests := []struct {
		name  string
		seed  []any
		check func(t *testing.T, h *harness)
	}{
		{
			name: "a new Deployment gets its first ReplicaSet at revision 1",
			seed: []any{deploy(3, "v1")},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				name := hashName(deploy(3, "v1"), "v1")
				got := h.replicaSets(t)
				require.Len(t, got, 1)
				r := got[name]
				require.NotNil(t, r, "named <deployment>-<hash>")
				require.Equal(t, int32(3), specReplicas(r))
				hash := strings.TrimPrefix(name, "web-")
				require.Equal(t, hash, r.GetSpec().GetSelector().GetMatchLabels()[HashLabel])
				require.Equal(t, hash, r.GetSpec().GetTemplate().GetMetadata().GetLabels()[HashLabel])
				require.Equal(t, hash, r.GetMetadata().GetLabels()[HashLabel])
				require.Equal(t, "uid-web", controllerRef(r.GetMetadata()).GetUid())
				require.Equal(t, map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"},
					r.GetMetadata().GetAnnotations())
				d := h.deployment(t)
				require.Equal(t, "1", d.GetMetadata().GetAnnotations()[RevisionAnnotation])
				cond := condition(d.GetStatus(), Progressing)
				require.Equal(t, NewRSReason, cond.GetReason())
				require.Contains(t, h.rec.Events(), "Normal ScalingReplicaSet Scaled up replica set "+name+" to 3")
			},
		},
		{
			name: "a new template surges one pod above three and takes none down",
			seed: []any{d3, rs(d3, "v1", 1, 3, sizedFor(3, 4))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 3, hashName(d3, "v2"): 1}, h.sizes(t))
				newRS := h.replicaSets(t)[hashName(d3, "v2")]
				require.Equal(t, "2", newRS.GetMetadata().GetAnnotations()[RevisionAnnotation])
				require.Equal(t, "2", h.deployment(t).GetMetadata().GetAnnotations()[RevisionAnnotation])
			},
		},
		{
			name: "an unavailable new pod holds the old ones: maxUnavailable is 0",
			seed: []any{d3, rs(d3, "v1", 1, 3, sizedFor(3, 4)), rs(d3, "v2", 2, 1, available(0), sizedFor(3, 4))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 3, hashName(d3, "v2"): 1}, h.sizes(t))
				st := h.deployment(t).GetStatus()
				require.Equal(t, int32(4), st.GetReplicas())
				require.Equal(t, int32(1), st.GetUpdatedReplicas())
				require.Equal(t, int32(3), st.GetAvailableReplicas())
				require.Equal(t, int32(1), st.GetUnavailableReplicas())
				require.Equal(t, "True", condition(st, Available).GetStatus())
			},
		},
		{
			name: "an available new pod lets one old one go",
			seed: []any{d3, rs(d3, "v1", 1, 3, sizedFor(3, 4)), rs(d3, "v2", 2, 1, sizedFor(3, 4))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 2, hashName(d3, "v2"): 1}, h.sizes(t))
				require.Contains(t, h.rec.Events(), "Normal ScalingReplicaSet Scaled down replica set "+hashName(d3, "v1")+" to 2 from 3")
			},
		},
		{
			name: "unavailable old replicas go first, within the bound",
			seed: []any{d10, rs(d10, "v1", 1, 10, available(7), sizedFor(10, 13)), rs(d10, "v2", 2, 3, sizedFor(10, 13))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				// 13 pods, 10 available, min available 8: the 3 unavailable old ones go, then 2 more.
				require.Equal(t, map[string]int32{hashName(d10, "v1"): 5, hashName(d10, "v2"): 3}, h.sizes(t))
			},
		},
		{
			name: "a complete rollout removes old ReplicaSets beyond the history limit",
			seed: []any{
				deploy(2, "v4", history(1)),
				rs(deploy(2, "v4"), "v1", 1, 0), rs(deploy(2, "v4"), "v2", 2, 0), rs(deploy(2, "v4"), "v3", 3, 0),
				rs(deploy(2, "v4"), "v4", 4, 2, sizedFor(2, 3)),
			},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				d := deploy(2, "v4")
				require.Equal(t, map[string]int32{hashName(d, "v3"): 0, hashName(d, "v4"): 2}, h.sizes(t))
				cond := condition(h.deployment(t).GetStatus(), Progressing)
				require.Equal(t, NewRSAvailableReason, cond.GetReason())
				require.Equal(t, "True", cond.GetStatus())
			},
		},
		{
			name: "an old template back (rollout undo) makes its ReplicaSet the next revision",
			seed: []any{
				deploy(2, "v1", revision(2)),
				rs(deploy(2, "v1"), "v1", 1, 0), rs(deploy(2, "v1"), "v2", 2, 2, sizedFor(2, 3)),
			},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				d := deploy(2, "v1")
				back := h.replicaSets(t)[hashName(d, "v1")]
				require.Equal(t, "3", back.GetMetadata().GetAnnotations()[RevisionAnnotation])
				require.Equal(t, "1", back.GetMetadata().GetAnnotations()[RevisionHistoryAnnotation])
				require.Equal(t, int32(1), specReplicas(back), "scaled up within the surge")
				require.Len(t, h.replicaSets(t), 2, "no third ReplicaSet")
				require.Equal(t, "3", h.deployment(t).GetMetadata().GetAnnotations()[RevisionAnnotation])
			},
		},
		{
			name: "a paused Deployment does not roll out a new template",
			seed: []any{deploy(3, "v2", paused()), rs(deploy(3, "v2"), "v1", 1, 3, sizedFor(3, 4))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 3}, h.sizes(t))
				cond := condition(h.deployment(t).GetStatus(), Progressing)
				require.Equal(t, PausedReason, cond.GetReason())
				require.Equal(t, "Unknown", cond.GetStatus())
			},
		},
		{
			name: "a paused Deployment is still scaled",
			seed: []any{deploy(5, "v2", paused()), rs(deploy(3, "v2"), "v1", 1, 3, sizedFor(3, 4))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 5}, h.sizes(t))
			},
		},
		{
			name: "a scale in mid-rollout is spread in proportion",
			// Was 10 (max 13) as 8 old + 5 new; now 20 (max 25): 12 more, shared 8:5.
			seed: []any{deploy(20, "v2"), rs(d10, "v1", 1, 8, sizedFor(10, 13)), rs(d10, "v2", 2, 5, available(0), sizedFor(10, 13))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				// 8*25/13 = 15.38 -> +7; 5*25/13 = 9.6 -> +5; total 12 exactly.
				require.Equal(t, map[string]int32{hashName(d10, "v1"): 15, hashName(d10, "v2"): 10}, h.sizes(t))
				for _, r := range h.replicaSets(t) {
					require.Equal(t, "20", r.GetMetadata().GetAnnotations()[DesiredReplicasAnnotation])
					require.Equal(t, "25", r.GetMetadata().GetAnnotations()[MaxReplicasAnnotation])
				}
			},
		},
		{
			name: "Recreate scales every old ReplicaSet to zero before creating the new one",
			seed: []any{deploy(3, "v2", recreate()), rs(deploy(3, "v2", recreate()), "v1", 1, 3, sizedFor(3, 3))},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 0}, h.sizes(t))
			},
		},
		{
			name: "Recreate waits while an old pod still runs",
			seed: []any{
				deploy(3, "v2", recreate()), rs(deploy(3, "v2", recreate()), "v1", 1, 0),
				pod("old-1", hashName(d3, "v1"), "Running"),
			},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 0}, h.sizes(t))
			},
		},
		{
			name: "Recreate creates the new ReplicaSet at full size once old pods are gone",
			seed: []any{
				deploy(3, "v2", recreate()), rs(deploy(3, "v2", recreate()), "v1", 1, 0),
				pod("old-1", hashName(d3, "v1"), "Succeeded"),
			},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				require.Equal(t, map[string]int32{hashName(d3, "v1"): 0, hashName(d3, "v2"): 3}, h.sizes(t))
			},
		},
		{
			name: "a matching orphan is adopted and a controlled ReplicaSet that stops matching is released",
			seed: []any{
				deploy(3, "v1"),
				rs(deploy(3, "v1"), "v1", 1, 3, orphan(), sizedFor(3, 4)),
				rs(deploy(3, "v1"), "v0", 0, 0, labelled(map[string]string{"app": "other"})),
			},
			check: func(t *testing.T, h *harness) {
				t.Helper()
				got := h.replicaSets(t)
				require.Len(t, got, 2, "the adopted ReplicaSet is the new one: nothing created")
				require.Equal(t, "uid-web", controllerRef(got[hashName(d3, "v1")].GetMetadata()).GetUid())
				require.Nil(t, controllerRef(got[hashName(d3, "v0")].GetMetadata()))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seeds []any
			seeds = append(seeds, tt.seed...)
			h := start(t, toObjects(seeds)...)
			_, err := h.reconcile(t)
			require.NoError(t, err)
			tt.check(t, h)
		})
	}
}

// pod returns a pod controlled by the ReplicaSet named rsName, in phase.
func pod(name, rsName, phase string) *corev1.Pod {
	yes := true
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "web"},
			OwnerReferences: []*metav1.OwnerReference{{ApiVersion: "apps/v1", Kind: "ReplicaSet", Name: rsName, Uid: "uid-" + rsName, Controller: &yes}}},
		Status: &corev1.PodStatus{Phase: phase},
	}
}

// TestProgressDeadline steps the fake clock past progressDeadlineSeconds of a rollout that makes
// no progress: Progressing turns False with ProgressDeadlineExceeded, and not a second earlier.
func TestProgressDeadline(t *testing.T) {
	d := deploy(3, "v2", func(d *appsv1.Deployment) { d.Spec.ProgressDeadlineSeconds = protoInt32(30) })
	h := start(t, d, rs(d, "v1", 1, 3, sizedFor(3, 4)))
	_, err := h.reconcile(t) // creates the new ReplicaSet and counts the replicas: progress at t0
	require.NoError(t, err)
	res, err := h.reconcile(t)
	require.NoError(t, err)
	// Nothing changed since: the condition keeps its time.
	require.Equal(t, RSUpdatedReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason())
	require.Equal(t, 30*time.Second+100*time.Millisecond, res.RequeueAfter, "looks again just after the deadline")

	h.clk.Step(30 * time.Second)
	_, err = h.reconcile(t)
	require.NoError(t, err)
	require.Equal(t, RSUpdatedReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason(), "the deadline itself is not past it")

	h.clk.Step(time.Second)
	_, err = h.reconcile(t)
	require.NoError(t, err)
	cond := condition(h.deployment(t).GetStatus(), Progressing)
	require.Equal(t, TimedOutReason, cond.GetReason())
	require.Equal(t, "False", cond.GetStatus())
	require.Contains(t, cond.GetMessage(), "has timed out progressing")
}

// TestPauseAndResumeRenewTheDeadline pauses a rollout past half its deadline and resumes it
// later: the deadline counts from the resume.
func TestPauseAndResumeRenewTheDeadline(t *testing.T) {
	d := deploy(3, "v2", func(d *appsv1.Deployment) { d.Spec.ProgressDeadlineSeconds = protoInt32(30) })
	h := start(t, d, rs(d, "v1", 1, 3, sizedFor(3, 4)))
	_, err := h.reconcile(t)
	require.NoError(t, err)
	h.clk.Step(20 * time.Second)

	setPaused := func(p bool) {
		t.Helper()
		cur := h.deployment(t)
		cur.Spec.Paused = p
		_, err := h.srv.Client().Deployments("default").Update(h.ctx, cur)
		require.NoError(t, err)
		_, err = h.reconcile(t)
		require.NoError(t, err)
	}
	setPaused(true)
	require.Equal(t, PausedReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason())
	h.clk.Step(time.Minute)
	setPaused(false)
	require.Equal(t, ResumedReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason())

	h.clk.Step(20 * time.Second)
	_, err = h.reconcile(t)
	require.NoError(t, err)
	require.NotEqual(t, TimedOutReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason())
	h.clk.Step(11 * time.Second)
	_, err = h.reconcile(t)
	require.NoError(t, err)
	require.Equal(t, TimedOutReason, condition(h.deployment(t).GetStatus(), Progressing).GetReason())
}

// TestHashCollisionBumpsCollisionCount puts a ReplicaSet of another template under the new
// ReplicaSet's name: the reconcile fails, collisionCount becomes 1, and the next reconcile
// creates the new ReplicaSet under another name.
func TestHashCollisionBumpsCollisionCount(t *testing.T) {
	d := deploy(2, "v2")
	squatter := rs(d, "other", 1, 0, labelled(map[string]string{"app": "elsewhere"}), orphan())
	squatter.Metadata.Name = hashName(d, "v2")
	h := start(t, d, squatter)
	_, err := h.reconcile(t)
	require.ErrorIs(t, err, errCollision)
	require.Equal(t, int32(1), h.deployment(t).GetStatus().GetCollisionCount())

	_, err = h.reconcile(t)
	require.NoError(t, err)
	require.Len(t, h.replicaSets(t), 2)
	d.Status = &appsv1.DeploymentStatus{CollisionCount: protoInt32(1)}
	require.Contains(t, h.replicaSets(t), "web-"+templateHash(d.Spec.Template, d.Status.CollisionCount))
}

func protoInt32(n int32) *int32 { return &n }

// toObjects turns the seeds of a test case into objects for start.
func toObjects(seeds []any) []scheme.Object {
	var out []scheme.Object
	for _, s := range seeds {
		out = append(out, s.(scheme.Object))
	}
	return out
}
