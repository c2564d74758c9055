package pods

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestPendingRunningSucceeded follows a pod with an init container from Pending through Running to
// Succeeded, in the manager's status and in the API server's.
func TestPendingRunningSucceeded(t *testing.T) {
	h := newHarness(t, nil)
	pod := newPod("p", ctr("app"))
	pod.Spec.RestartPolicy = RestartNever
	pod.Spec.InitContainers = []*corev1.Container{ctr("init")}
	h.add(pod)

	h.eventuallyAPI("p", "Pending while initializing", func(st *corev1.PodStatus) bool {
		return st.GetPhase() == PhasePending && cond(st, CondInitialized).GetStatus() == "False" &&
			containerStatus(st, "init").GetState().GetRunning() != nil &&
			containerStatus(st, "app").GetState().GetWaiting().GetReason() == ReasonPodInitializing
	})
	st := h.apiStatus("p")
	require.Equal(t, "containers with incomplete status: [init]", cond(st, CondInitialized).GetMessage())
	require.Equal(t, "127.0.0.1", st.GetPodIp())
	require.Equal(t, "127.0.0.1", st.GetHostIp())
	require.Equal(t, "BestEffort", st.GetQosClass())
	require.NotNil(t, st.GetStartTime())
	require.Equal(t, "True", cond(st, CondPodScheduled).GetStatus())

	h.rt.exit("init", 0)
	h.relist()
	h.eventuallyAPI("p", "Running", func(st *corev1.PodStatus) bool {
		return st.GetPhase() == PhaseRunning && cond(st, CondReady).GetStatus() == "True"
	})
	st = h.apiStatus("p")
	app := containerStatus(st, "app")
	require.True(t, app.GetReady())
	require.True(t, app.GetStarted())
	require.Equal(t, "img-app", app.GetImage())
	require.Regexp(t, `^fake://c\d+$`, app.GetContainerId())
	require.Equal(t, "Completed", containerStatus(st, "init").GetState().GetTerminated().GetReason())
	require.Equal(t, "True", cond(st, CondInitialized).GetStatus())

	h.clk.Step(time.Minute)
	h.rt.exit("app", 0)
	h.relist()
	h.eventuallyAPI("p", "Succeeded", phase(PhaseSucceeded))
	st = h.apiStatus("p")
	term := containerStatus(st, "app").GetState().GetTerminated()
	require.Equal(t, int32(0), term.GetExitCode())
	require.Equal(t, "Completed", term.GetReason())
	require.Equal(t, epoch.Add(time.Second).Unix(), term.GetStartedAt().GetSeconds(), "started after the init container's exit was relisted")
	require.Equal(t, epoch.Add(time.Minute+time.Second).Unix(), term.GetFinishedAt().GetSeconds())
	require.Equal(t, ReasonPodCompleted, cond(st, CondReady).GetReason())
	require.Eventually(t, func() bool {
		calls := h.rt.calls()
		return len(calls) > 0 && calls[len(calls)-1] == "stopsandbox"
	}, 10*time.Second, 2*time.Millisecond, "a finished pod's sandbox is stopped")
	require.NotContains(t, h.rt.calls(), "removesandbox", "a finished pod keeps its sandbox while it is desired")
	require.Equal(t, PhaseSucceeded, h.status("p").GetPhase())

	h.drop("p")
	require.Eventually(t, func() bool {
		sbs, err := h.rt.ListPodSandbox(t.Context(), nil)
		return err == nil && len(sbs) == 0
	}, 10*time.Second, 2*time.Millisecond, "a finished pod that leaves the set is removed from the runtime")
}

func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		policy      string
		code        int32
		wantRestart bool
		wantPhase   string
	}{
		{RestartAlways, 0, true, PhaseRunning},
		{RestartAlways, 1, true, PhaseRunning},
		{RestartOnFailure, 0, false, PhaseSucceeded},
		{RestartOnFailure, 2, true, PhaseRunning},
		{RestartNever, 0, false, PhaseSucceeded},
		{RestartNever, 3, false, PhaseFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s exit %d", tt.policy, tt.code), func(t *testing.T) {
			h := newHarness(t, nil)
			pod := newPod("p", ctr("app"))
			pod.Spec.RestartPolicy = tt.policy
			h.add(pod)
			h.eventually("p", "Running", phase(PhaseRunning))
			h.rt.exit("app", tt.code)
			h.relist()
			if tt.wantRestart {
				h.eventually("p", "a restart", func(st *corev1.PodStatus) bool {
					cs := containerStatus(st, "app")
					return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil
				})
				st := h.status("p")
				require.Equal(t, tt.wantPhase, st.GetPhase())
				require.Equal(t, tt.code, containerStatus(st, "app").GetLastState().GetTerminated().GetExitCode())
				require.Len(t, h.rt.startTimes("app"), 2)
				return
			}
			h.eventually("p", tt.wantPhase, phase(tt.wantPhase))
			cs := containerStatus(h.status("p"), "app")
			require.Equal(t, tt.code, cs.GetState().GetTerminated().GetExitCode())
			require.Zero(t, cs.GetRestartCount())
			require.Len(t, h.rt.startTimes("app"), 1)
			h.eventuallyAPI("p", tt.wantPhase, phase(tt.wantPhase))
		})
	}
}

// TestCrashLoopBackoff checks Kubernetes' sequence: the first restart at once, then 10s doubling
// to the 5m cap, each shown as CrashLoopBackOff with its delay; a run longer than twice the cap
// resets it.
func TestCrashLoopBackoff(t *testing.T) {
	h := newHarness(t, nil)
	h.rt.script("app", exitsWith(1))
	h.add(newPod("p", ctr("app")))

	delays := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 300 * time.Second, 300 * time.Second}
	for i, d := range delays {
		restarts := int32(i + 1)
		want := fmt.Sprintf("back-off %s restarting failed container=app pod=p_default(", d)
		h.eventually("p", "CrashLoopBackOff "+d.String(), func(st *corev1.PodStatus) bool {
			cs := containerStatus(st, "app")
			w := cs.GetState().GetWaiting()
			return cs.GetRestartCount() == restarts && w.GetReason() == ReasonCrashLoopBackOff && len(w.GetMessage()) > len(want) && w.GetMessage()[:len(want)] == want
		})
		cs := containerStatus(h.status("p"), "app")
		require.Equal(t, int32(1), cs.GetLastState().GetTerminated().GetExitCode())
		require.Equal(t, PhaseRunning, h.status("p").GetPhase(), "a crash-looping pod with restartPolicy Always is Running")
		h.clk.Step(d - time.Second)
		require.Len(t, h.rt.startTimes("app"), i+2, "no restart before the backoff ends")
		h.clk.Step(time.Second)
	}
	starts := h.rt.startTimes("app")
	require.Eventually(t, func() bool { starts = h.rt.startTimes("app"); return len(starts) == len(delays)+2 }, 10*time.Second, 2*time.Millisecond)
	require.Equal(t, time.Duration(0), starts[1].Sub(starts[0]), "the first restart is immediate")
	for i, d := range delays {
		require.Equal(t, d, starts[i+2].Sub(starts[i+1]), "restart %d", i+2)
	}

	// A run of more than ten minutes forgets the backoff: the next restart is immediate again.
	h.rt.script("app", run{exits: true, exitAfter: 11 * time.Minute, code: 1}, exitsWith(1))
	h.eventually("p", "CrashLoopBackOff 5m", func(st *corev1.PodStatus) bool {
		return containerStatus(st, "app").GetState().GetWaiting().GetReason() == ReasonCrashLoopBackOff
	})
	h.clk.Step(5 * time.Minute) // starts the long run
	h.eventually("p", "the long run", func(st *corev1.PodStatus) bool {
		return containerStatus(st, "app").GetState().GetRunning() != nil
	})
	n := len(h.rt.startTimes("app"))
	h.clk.Step(11 * time.Minute)
	h.eventually("p", "a reset backoff of 10s", func(st *corev1.PodStatus) bool {
		w := containerStatus(st, "app").GetState().GetWaiting()
		return len(h.rt.startTimes("app")) == n+1 && w.GetReason() == ReasonCrashLoopBackOff &&
			len(w.GetMessage()) > 12 && w.GetMessage()[:12] == "back-off 10s"
	})
}

func TestCreateContainerConfigError(t *testing.T) {
	h := newHarness(t, nil)
	h.rt.script("app", run{createErr: fmt.Errorf("the process runtime needs a command")}, run{})
	h.add(newPod("p", ctr("app")))
	h.eventuallyAPI("p", "CreateContainerConfigError", func(st *corev1.PodStatus) bool {
		w := containerStatus(st, "app").GetState().GetWaiting()
		return st.GetPhase() == PhasePending && w.GetReason() == ReasonCreateContainerConfigError &&
			w.GetMessage() == "the process runtime needs a command"
	})
	h.clk.Step(time.Second) // the retry
	h.eventually("p", "Running", phase(PhaseRunning))
}

func TestInitContainers(t *testing.T) {
	tests := []struct {
		policy    string
		wantPhase string
		retried   bool
	}{
		{RestartNever, PhaseFailed, false},
		{RestartOnFailure, PhasePending, true},
		{RestartAlways, PhasePending, true},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			h := newHarness(t, nil)
			h.rt.script("first", exitsWith(0))
			h.rt.script("second", exitsWith(1))
			pod := newPod("p", ctr("app"))
			pod.Spec.RestartPolicy = tt.policy
			pod.Spec.InitContainers = []*corev1.Container{ctr("first"), ctr("second")}
			h.add(pod)
			h.eventually("p", "second init container failing", func(st *corev1.PodStatus) bool {
				cs := containerStatus(st, "second")
				return cs.GetState().GetTerminated().GetExitCode() == 1 || cs.GetLastState().GetTerminated().GetExitCode() == 1
			})
			if tt.retried {
				h.eventually("p", "the init container retried in backoff", func(st *corev1.PodStatus) bool {
					cs := containerStatus(st, "second")
					return cs.GetRestartCount() == 1 && cs.GetState().GetWaiting().GetReason() == ReasonCrashLoopBackOff
				})
			}
			h.eventually("p", tt.wantPhase, phase(tt.wantPhase))
			st := h.status("p")
			require.Equal(t, ReasonPodInitializing, containerStatus(st, "app").GetState().GetWaiting().GetReason())
			require.Equal(t, "containers with incomplete status: [second]", cond(st, CondInitialized).GetMessage())
			require.Empty(t, h.rt.startTimes("app"), "no app container starts while an init container fails")
			require.Len(t, h.rt.startTimes("first"), 1, "a successful init container is not run again")
			var order []string
			for _, c := range h.rt.calls() {
				if c == "start first" || c == "start second" {
					order = append(order, c)
				}
			}
			require.Equal(t, "start first", order[0])
			require.Equal(t, "start second", order[1])
		})
	}
}

func TestSandboxConfig(t *testing.T) {
	h := newHarness(t, nil)
	c := ctr("app")
	c.Resources = &corev1.ResourceRequirements{Requests: map[string]string{"cpu": "250m"}, Limits: map[string]string{"cpu": "500m", "memory": "64Mi"}}
	stored := h.add(newPod("p", c))
	h.eventually("p", "Running", phase(PhaseRunning))
	require.Contains(t, h.rt.calls(), "sandbox kubepods/burstable/pod"+stored.GetMetadata().GetUid())
	sbs, err := h.rt.ListPodSandbox(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, sbs, 1)
	require.Equal(t, cri.PodSandboxMetadata{Name: "p", Namespace: "default", UID: stored.GetMetadata().GetUid()}, sbs[0].Metadata)

	res := containerResources(c)
	require.Equal(t, &cri.LinuxResources{CPUPeriod: 100000, CPUQuota: 50000, CPUShares: 256, MemoryLimitBytes: 64 << 20}, res)
	path, err := h.m.ContainerLogPath("default", "p", "app", false)
	require.NoError(t, err)
	require.Equal(t, "/logs/default_p_"+stored.GetMetadata().GetUid()+"/app/0.log", path)
	_, err = h.m.ContainerLogPath("default", "p", "app", true)
	require.ErrorIs(t, err, ErrNotFound)
}
