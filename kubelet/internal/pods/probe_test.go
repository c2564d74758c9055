package pods

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// execSwitch answers exec probes with exit 0 while ok holds, 1 otherwise, and counts them.
type execSwitch struct {
	ok    atomic.Bool
	calls atomic.Int32
}

func (e *execSwitch) exec([]string) (*cri.ExecResult, error) {
	e.calls.Add(1)
	if e.ok.Load() {
		return &cri.ExecResult{}, nil
	}
	return &cri.ExecResult{ExitCode: 1, Stdout: []byte("unhealthy")}, nil
}

func execProbe(cmd string, failures int32) *corev1.Probe {
	return &corev1.Probe{Exec: &corev1.ExecAction{Command: []string{cmd}}, PeriodSeconds: 1, FailureThreshold: failures}
}

func TestLivenessFailureRestarts(t *testing.T) {
	h := newHarness(t, nil)
	probe := &execSwitch{}
	probe.ok.Store(true)
	h.rt.onExec("app", probe.exec)
	c := ctr("app")
	c.LivenessProbe = execProbe("check", 2)
	pod := newPod("p", c)
	pod.Spec.TerminationGracePeriodSeconds = int64p(9)
	h.add(pod)
	h.eventually("p", "Running", phase(PhaseRunning))
	require.Eventually(t, func() bool { return probe.calls.Load() >= 1 }, 10*time.Second, 2*time.Millisecond)

	probe.ok.Store(false)
	h.clk.Step(time.Second)
	require.Eventually(t, func() bool { return probe.calls.Load() >= 2 }, 10*time.Second, 2*time.Millisecond)
	require.NotContains(t, h.rt.calls(), "stop app 9s", "one failure is below the threshold")
	h.clk.Step(time.Second)
	h.eventually("p", "a restart after the liveness kill", func(st *corev1.PodStatus) bool {
		cs := containerStatus(st, "app")
		return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil
	})
	require.Contains(t, h.rt.calls(), "stop app 9s")
	require.Contains(t, h.events.all(), "Killing: Container app failed liveness probe, will be restarted")
	require.Contains(t, h.events.all(), "Unhealthy: Liveness probe failed: command \"check\" exited with 1: unhealthy")
	require.Equal(t, int32(137), containerStatus(h.status("p"), "app").GetLastState().GetTerminated().GetExitCode())
}

func TestLivenessFailureWithRestartNever(t *testing.T) {
	h := newHarness(t, nil)
	probe := &execSwitch{}
	h.rt.onExec("app", probe.exec)
	c := ctr("app")
	c.LivenessProbe = execProbe("check", 1)
	pod := newPod("p", c)
	pod.Spec.RestartPolicy = RestartNever
	h.add(pod)
	h.eventually("p", "Failed", phase(PhaseFailed))
	require.Len(t, h.rt.startTimes("app"), 1)
}

func TestReadinessFlipsReady(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	var gotHeader atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader.Store(r.Header.Get("X-Probe") + " " + r.URL.Path)
		if healthy.Load() {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	_, portStr, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)

	h := newHarness(t, nil)
	c := ctr("app")
	c.Ports = []*corev1.ContainerPort{{Name: "http", ContainerPort: int32(port)}}
	c.ReadinessProbe = &corev1.Probe{
		HttpGet: &corev1.HTTPGetAction{
			Path: "/ready", Port: &metav1.IntOrString{Type: 1, StrVal: "http"},
			HttpHeaders: []*corev1.HTTPHeader{{Name: "X-Probe", Value: "yes"}},
		},
		PeriodSeconds: 1, FailureThreshold: 1,
	}
	h.add(newPod("p", c))
	h.eventuallyAPI("p", "Ready", func(st *corev1.PodStatus) bool {
		return st.GetPhase() == PhaseRunning && cond(st, CondReady).GetStatus() == "True" && containerStatus(st, "app").GetReady()
	})
	require.Equal(t, "yes /ready", gotHeader.Load())

	healthy.Store(false)
	h.clk.Step(time.Second)
	h.eventuallyAPI("p", "not Ready", func(st *corev1.PodStatus) bool {
		return cond(st, CondReady).GetStatus() == "False" && cond(st, CondContainersReady).GetStatus() == "False" &&
			!containerStatus(st, "app").GetReady()
	})
	require.Equal(t, "containers with unready status: [app]", cond(h.apiStatus("p"), CondReady).GetMessage())
	require.Equal(t, PhaseRunning, h.apiStatus("p").GetPhase())

	healthy.Store(true)
	h.clk.Step(time.Second)
	h.eventuallyAPI("p", "Ready again", func(st *corev1.PodStatus) bool { return cond(st, CondReady).GetStatus() == "True" })
	require.Len(t, h.rt.startTimes("app"), 1, "readiness never restarts")
}

func TestTCPReadiness(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().(*net.TCPAddr)
	h := newHarness(t, nil)
	c := ctr("app")
	c.ReadinessProbe = &corev1.Probe{TcpSocket: &corev1.TCPSocketAction{Port: &metav1.IntOrString{IntVal: int32(addr.Port)}}, PeriodSeconds: 1, FailureThreshold: 1}
	h.add(newPod("p", c))
	h.eventually("p", "Ready", func(st *corev1.PodStatus) bool { return cond(st, CondReady).GetStatus() == "True" })
	require.NoError(t, lis.Close())
	h.clk.Step(time.Second)
	h.eventually("p", "not Ready", func(st *corev1.PodStatus) bool { return cond(st, CondReady).GetStatus() == "False" })
}

// TestStartupGatesProbes: liveness and readiness wait for the startup probe; the container is
// neither started nor ready until it succeeds.
func TestStartupGatesProbes(t *testing.T) {
	h := newHarness(t, nil)
	startup, live := &execSwitch{}, &execSwitch{}
	live.ok.Store(true)
	h.rt.onExec("app", func(cmd []string) (*cri.ExecResult, error) {
		if cmd[0] == "started" {
			return startup.exec(cmd)
		}
		return live.exec(cmd)
	})
	c := ctr("app")
	c.StartupProbe = execProbe("started", 5)
	c.LivenessProbe = execProbe("alive", 1)
	h.add(newPod("p", c))
	h.eventually("p", "Running but not started", func(st *corev1.PodStatus) bool {
		cs := containerStatus(st, "app")
		return st.GetPhase() == PhaseRunning && cs.GetState().GetRunning() != nil && !cs.GetStarted() && !cs.GetReady()
	})
	for i := int32(1); i <= 4; i++ {
		require.Eventually(t, func() bool { return startup.calls.Load() >= i }, 10*time.Second, 2*time.Millisecond)
		if i < 4 {
			h.clk.Step(time.Second)
		}
	}
	require.Zero(t, live.calls.Load(), "liveness waits for the startup probe")
	require.False(t, containerStatus(h.status("p"), "app").GetStarted())

	startup.ok.Store(true)
	h.clk.Step(time.Second)
	h.eventually("p", "started and ready", func(st *corev1.PodStatus) bool {
		cs := containerStatus(st, "app")
		return cs.GetStarted() && cs.GetReady()
	})
	h.clk.Step(time.Second)
	require.Eventually(t, func() bool { return live.calls.Load() >= 1 }, 10*time.Second, 2*time.Millisecond)
	n := startup.calls.Load()
	h.clk.Step(time.Second)
	require.Eventually(t, func() bool { return live.calls.Load() >= 2 }, 10*time.Second, 2*time.Millisecond)
	require.Equal(t, n, startup.calls.Load(), "the startup probe stops once it succeeded")
	require.Len(t, h.rt.startTimes("app"), 1)
}

// TestStartupFailureRestarts: a startup probe that reaches its failure threshold kills the container.
func TestStartupFailureRestarts(t *testing.T) {
	h := newHarness(t, nil)
	startup := &execSwitch{}
	h.rt.onExec("app", startup.exec)
	c := ctr("app")
	c.StartupProbe = execProbe("started", 2)
	h.add(newPod("p", c))
	require.Eventually(t, func() bool { return startup.calls.Load() >= 1 }, 10*time.Second, 2*time.Millisecond)
	h.clk.Step(time.Second)
	h.eventually("p", "restarted", func(st *corev1.PodStatus) bool { return containerStatus(st, "app").GetRestartCount() == 1 })
	require.True(t, slices.Contains(h.events.all(), "Killing: Container app failed startup probe, will be restarted"))
}

func TestInitialDelay(t *testing.T) {
	h := newHarness(t, nil)
	probe := &execSwitch{}
	probe.ok.Store(true)
	h.rt.onExec("app", probe.exec)
	c := ctr("app")
	c.ReadinessProbe = execProbe("ready", 1)
	c.ReadinessProbe.InitialDelaySeconds = 3
	h.add(newPod("p", c))
	h.eventually("p", "Running", phase(PhaseRunning))
	h.clk.Step(time.Second)
	h.clk.Step(time.Second)
	require.Zero(t, probe.calls.Load(), "no probe before the initial delay")
	require.False(t, containerStatus(h.status("p"), "app").GetReady())
	h.clk.Step(time.Second)
	h.eventually("p", "Ready after the delay", func(st *corev1.PodStatus) bool { return containerStatus(st, "app").GetReady() })
}
