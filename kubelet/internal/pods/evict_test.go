package pods

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEvict(t *testing.T) {
	tests := []struct {
		name      string
		specGrace *int64
		grace     time.Duration
		wantStop  string
	}{
		{name: "the eviction's grace when shorter", specGrace: int64p(12), grace: 5 * time.Second, wantStop: "stop app 5s"},
		{name: "the pod's grace when shorter", specGrace: int64p(3), grace: 20 * time.Second, wantStop: "stop app 3s"},
		{name: "zero grace", grace: 0, wantStop: "stop app 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			pod := newPod("p", ctr("app"))
			pod.Spec.TerminationGracePeriodSeconds = tt.specGrace
			stored := h.add(pod)
			h.eventually("p", "Running", phase(PhaseRunning))

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ev := Eviction{Grace: tt.grace, Reason: "Terminated", Message: "node shuts down"}
			require.NoError(t, h.m.Evict(ctx, stored.GetMetadata().GetUid(), ev))

			calls := h.rt.calls()
			stop := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, "stop app") })
			require.GreaterOrEqual(t, stop, 0, "calls: %v", calls)
			require.Equal(t, tt.wantStop, calls[stop])
			require.Contains(t, calls, "stopsandbox")
			require.NotContains(t, calls, "removesandbox", "an evicted pod's sandbox stays until the pod leaves the set")

			st := h.apiStatus("p")
			require.Equal(t, PhaseFailed, st.GetPhase())
			require.Equal(t, "Terminated", st.GetReason())
			require.Equal(t, "node shuts down", st.GetMessage())
			dt := cond(st, CondDisruptionTarget)
			require.NotNil(t, dt, "conditions: %v", st.GetConditions())
			require.Equal(t, "True", dt.GetStatus())
			require.Equal(t, ReasonTerminationByKubelet, dt.GetReason())
			require.True(t, h.inAPI("p"), "an evicted pod is not deleted")

			// The pod stays Failed: its containers are not started again.
			h.relist()
			h.relist()
			require.Equal(t, PhaseFailed, h.status("p").GetPhase())
			require.NoError(t, h.m.Evict(ctx, stored.GetMetadata().GetUid(), ev), "a second eviction returns at once")
		})
	}
}

func TestEvictUnknownPod(t *testing.T) {
	h := newHarness(t, nil)
	err := h.m.Evict(context.Background(), "no-such-uid", Eviction{})
	require.ErrorIs(t, err, ErrPodNotRunning)
}

func TestStopAdmitting(t *testing.T) {
	h := newHarness(t, nil)
	h.add(newPod("old", ctr("app")))
	h.eventually("old", "Running", phase(PhaseRunning))
	h.m.StopAdmitting("Terminated", "Pod was rejected as the node is shutting down.")
	h.add(newPod("new", ctr("app")))
	h.eventuallyAPI("new", "Failed", phase(PhaseFailed))
	st := h.apiStatus("new")
	require.Equal(t, "Terminated", st.GetReason())
	require.Equal(t, "Pod was rejected as the node is shutting down.", st.GetMessage())
	require.Empty(t, st.GetContainerStatuses(), "a rejected pod never ran")
	require.Equal(t, PhaseRunning, h.status("old").GetPhase(), "running pods are not touched")
}

func TestActiveDeadlineSeconds(t *testing.T) {
	h := newHarness(t, nil)
	pod := newPod("p", ctr("app"))
	pod.Spec.ActiveDeadlineSeconds = int64p(30)
	h.add(pod)
	h.eventually("p", "Running", phase(PhaseRunning))

	h.clk.Step(28 * time.Second)
	h.relist() // 29s
	require.Equal(t, PhaseRunning, h.status("p").GetPhase(), "still within its deadline")
	h.clk.Step(time.Second)
	h.eventuallyAPI("p", "Failed", phase(PhaseFailed))
	st := h.apiStatus("p")
	require.Equal(t, ReasonDeadlineExceeded, st.GetReason())
	require.Equal(t, MessageDeadlineExceeded, st.GetMessage())
	require.Nil(t, cond(st, CondDisruptionTarget), "a deadline is no disruption")
	require.NotNil(t, containerStatus(st, "app").GetState().GetTerminated(), "the container was stopped")
	require.Contains(t, h.rt.calls(), "stopsandbox")
	require.Contains(t, h.events.all(), ReasonDeadlineExceeded+": "+MessageDeadlineExceeded)
}
