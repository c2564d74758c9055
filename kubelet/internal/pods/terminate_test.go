package pods

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func int64p(v int64) *int64 { return &v }

// deleted returns pod as the API shows it after a graceful delete with grace seconds.
func deleted(pod *corev1.Pod, grace int64) *corev1.Pod {
	d := pod.CloneVT()
	d.Metadata.DeletionTimestamp = timestamppb.New(epoch)
	d.Metadata.DeletionGracePeriodSeconds = int64p(grace)
	return d
}

func TestGracePeriodAndPreStop(t *testing.T) {
	tests := []struct {
		name      string
		specGrace *int64
		delete    *int64 // deletionGracePeriodSeconds; nil: the pod leaves the desired set
		preStop   bool
		wantStop  string
	}{
		{name: "deletion grace", specGrace: int64p(12), delete: int64p(7), wantStop: "stop app 7s"},
		{name: "spec grace when the pod leaves the set", specGrace: int64p(12), wantStop: "stop app 12s"},
		{name: "default grace", wantStop: "stop app 30s"},
		{name: "preStop runs first", delete: int64p(5), preStop: true, wantStop: "stop app 5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			c := ctr("app")
			if tt.preStop {
				c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"drain", "now"}}}}
			}
			pod := newPod("p", c)
			pod.Spec.TerminationGracePeriodSeconds = tt.specGrace
			stored := h.add(pod)
			h.eventually("p", "Running", phase(PhaseRunning))
			if tt.delete != nil {
				h.set(deleted(stored, *tt.delete))
			} else {
				h.drop("p")
			}
			require.Eventually(t, func() bool { return slices.Contains(h.rt.calls(), "removesandbox") }, 10*time.Second, 2*time.Millisecond)
			calls := h.rt.calls()
			stop := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, "stop app") })
			require.Equal(t, tt.wantStop, calls[stop])
			if tt.preStop {
				exec := slices.Index(calls, "exec app drain now")
				require.GreaterOrEqual(t, exec, 0, "preStop ran: %v", calls)
				require.Less(t, exec, stop, "preStop runs before the stop: %v", calls)
			}
			require.Less(t, stop, slices.Index(calls, "stopsandbox"))
			if tt.delete != nil {
				require.Eventually(t, func() bool { return !h.inAPI("p") }, 10*time.Second, 2*time.Millisecond, "the deletion is confirmed")
			} else {
				require.True(t, h.inAPI("p"), "a pod that only left the set is not deleted from the API")
			}
		})
	}
}

// TestDeletionGuardedByUID: the confirming delete carries the pod's UID, so a new pod that took the
// name meanwhile survives it.
func TestDeletionGuardedByUID(t *testing.T) {
	h := newHarness(t, nil)
	stored := h.add(newPod("p", ctr("app")))
	h.eventuallyAPI("p", "Running", phase(PhaseRunning))

	require.NoError(t, h.srv.Client().Pods("default").Delete(context.Background(), "p"))
	h.srv.Add(newPod("p", ctr("other")))
	replacement, _ := clienttest.Stored[*corev1.Pod](h.srv, "default", "p")
	require.NotEqual(t, stored.GetMetadata().GetUid(), replacement.GetMetadata().GetUid())
	writes := h.srv.Calls(clienttest.UpdateStatus, "pods")

	h.set(deleted(stored, 0))
	require.Eventually(t, func() bool { return slices.Contains(h.rt.calls(), "removesandbox") }, 10*time.Second, 2*time.Millisecond)
	require.Eventually(t, func() bool { return h.srv.Calls(clienttest.Delete, "pods") == 2 }, 10*time.Second, 2*time.Millisecond)
	still, ok := clienttest.Stored[*corev1.Pod](h.srv, "default", "p")
	require.True(t, ok, "the new pod of the same name is not deleted")
	require.Equal(t, replacement.GetMetadata().GetUid(), still.GetMetadata().GetUid())
	require.Empty(t, still.GetStatus().GetContainerStatuses(), "the old pod's status is not written onto the new one")
	require.Equal(t, writes, h.srv.Calls(clienttest.UpdateStatus, "pods"))
}

func TestDeletedPodEndsInAFinalPhase(t *testing.T) {
	h := newHarness(t, nil)
	stored := h.add(newPod("p", ctr("app")))
	h.eventually("p", "Running", phase(PhaseRunning))
	h.set(deleted(stored, 3))
	h.eventually("p", "Failed", phase(PhaseFailed))
	cs := containerStatus(h.status("p"), "app")
	require.Equal(t, int32(137), cs.GetState().GetTerminated().GetExitCode())
	require.Eventually(t, func() bool { return !h.inAPI("p") }, 10*time.Second, 2*time.Millisecond)
	h.drop("p")
	require.Eventually(t, func() bool { return len(h.m.Pods()) == 0 }, 10*time.Second, 2*time.Millisecond)
}
