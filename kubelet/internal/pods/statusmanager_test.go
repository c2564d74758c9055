package pods

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestStatusWrittenOnlyOnChange counts status writes: relists that change nothing write nothing;
// a change writes once; a conflict is retried; a deleted API object gets no more writes.
func TestStatusWrittenOnlyOnChange(t *testing.T) {
	h := newHarness(t, nil)
	var conflicts atomic.Int32
	conflicts.Store(1)
	h.srv.Intercept(func(c clienttest.Call) error {
		if c.Verb == clienttest.UpdateStatus && conflicts.Add(-1) >= 0 {
			return apierrors.NewConflict("", "pods", c.Name, "the object has been modified")
		}
		return nil
	})
	h.add(newPod("p", ctr("app"), ctr("side")))
	h.eventuallyAPI("p", "Running", phase(PhaseRunning))
	writes := h.srv.Calls(clienttest.UpdateStatus, "pods")
	require.GreaterOrEqual(t, writes, 2, "the conflicting write was retried")

	for range 5 {
		h.relist()
	}
	// Let the manager go through the relists: the pod's own sync after a poke is a cheap way.
	h.set(h.pods["p"])
	h.eventually("p", "still Running", phase(PhaseRunning))
	require.Equal(t, writes, h.srv.Calls(clienttest.UpdateStatus, "pods"), "unchanged status is not written")

	h.rt.exit("side", 1)
	h.relist()
	h.eventuallyAPI("p", "the restart", func(st *corev1.PodStatus) bool {
		return containerStatus(st, "side").GetRestartCount() == 1
	})
	after := h.srv.Calls(clienttest.UpdateStatus, "pods")
	require.Greater(t, after, writes)
	lt := cond(h.apiStatus("p"), CondReady).GetLastTransitionTime()

	// The API object goes away: nothing is written for it any more.
	require.NoError(t, h.srv.Client().Pods("default").Delete(context.Background(), "p"))
	h.rt.exit("app", 2)
	h.relist()
	h.eventually("p", "the second restart", func(st *corev1.PodStatus) bool {
		return containerStatus(st, "app").GetRestartCount() == 1
	})
	h.clk.Step(time.Second)
	require.Never(t, func() bool { return h.srv.Calls(clienttest.UpdateStatus, "pods") != after }, 50*time.Millisecond, 5*time.Millisecond)
	require.Equal(t, lt.AsTime(), cond(h.status("p"), CondReady).GetLastTransitionTime().AsTime(), "lastTransitionTime kept while Ready stays True")
}

func TestMergeKeepsForeignConditions(t *testing.T) {
	server := &corev1.PodStatus{NominatedNodeName: "n", Conditions: []*corev1.PodCondition{
		{Type: CondReady, Status: "False"}, {Type: "DisruptionTarget", Status: "True"},
	}}
	want := &corev1.PodStatus{Phase: PhaseRunning, Conditions: []*corev1.PodCondition{{Type: CondReady, Status: "True"}}}
	got := mergeStatus(server, want)
	require.Equal(t, "n", got.GetNominatedNodeName())
	require.Len(t, got.GetConditions(), 2)
	require.Equal(t, "True", got.GetConditions()[0].GetStatus())
	require.Equal(t, "DisruptionTarget", got.GetConditions()[1].GetType())
}

// TestStaticPodStatusGoesToMirror: a file pod's status is written to the API pod of the same name
// (its mirror), and a missing mirror is no error.
func TestStaticPodStatusGoesToMirror(t *testing.T) {
	h := newHarness(t, nil)
	static := newPod("static-node-1", ctr("app"))
	static.Metadata.Uid = "file-uid"
	static.Metadata.Annotations = map[string]string{ConfigSourceAnnotation: "file"}
	h.set(static)
	h.eventually("static-node-1", "Running", phase(PhaseRunning))

	h.rt.exit("app", 1)
	h.relist()
	h.eventually("static-node-1", "a restart", func(st *corev1.PodStatus) bool {
		return containerStatus(st, "app").GetRestartCount() == 1
	})

	// The mirror pod appears: the status is written to it without any further change.
	mirror := newPod("static-node-1", ctr("app"))
	mirror.Metadata.Annotations = map[string]string{"kubernetes.io/config.mirror": "hash"}
	h.srv.Add(mirror)
	// The retry after the last failed write may be armed before or after the mirror appears (the
	// writes of a round end in any order): move time until it has fired.
	h.eventuallyAPI("static-node-1", "the static pod's status", func(st *corev1.PodStatus) bool {
		if st.GetPhase() == PhaseRunning && containerStatus(st, "app").GetRestartCount() == 1 {
			return true
		}
		h.clk.Step(time.Second)
		return false
	})
}

// TestRecreatedMirrorGetsTheStatusAgain deletes a static pod's mirror pod after its status was
// written to it: the mirror made anew is empty until the manager hears it was created, and then
// gets the status although the status did not change.
func TestRecreatedMirrorGetsTheStatusAgain(t *testing.T) {
	h := newHarness(t, nil)
	static := newPod("static-node-1", ctr("app"))
	static.Metadata.Uid = "file-uid"
	static.Metadata.Annotations = map[string]string{ConfigSourceAnnotation: "file"}
	mirror := func() *corev1.Pod {
		m := newPod("static-node-1", ctr("app"))
		m.Metadata.Annotations = map[string]string{"kubernetes.io/config.mirror": "hash"}
		return m
	}
	h.srv.Add(mirror())
	h.set(static)
	h.eventuallyAPI("static-node-1", "Running", phase(PhaseRunning))

	zero := int64(0)
	require.NoError(t, h.srv.Client().Pods("default").Delete(context.Background(), "static-node-1", client.DeleteOptions{GracePeriodSeconds: &zero}))
	h.srv.Add(mirror())
	require.Empty(t, h.apiStatus("static-node-1").GetPhase(), "the new mirror starts empty")
	h.m.MirrorCreated("file-uid")
	h.eventuallyAPI("static-node-1", "Running on the new mirror", phase(PhaseRunning))
}
