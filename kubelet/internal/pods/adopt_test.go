package pods

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TestAdoptionAfterRestart restarts the manager over a running pod: the running container keeps
// its ID and restart count and is not started again; one that exited while the manager was down
// is reported with its exit code and restarted as the policy says.
func TestAdoptionAfterRestart(t *testing.T) {
	h := newHarness(t, nil)
	h.add(newPod("p", ctr("keep"), ctr("crash")))
	h.eventually("p", "Running", phase(PhaseRunning))
	before := containerStatus(h.status("p"), "keep")

	h.stop()
	h.rt.exit("crash", 3)
	h.start(nil)
	h.sync()

	h.eventually("p", "the crashed container restarted", func(st *corev1.PodStatus) bool {
		cs := containerStatus(st, "crash")
		return cs.GetRestartCount() == 1 && cs.GetState().GetRunning() != nil
	})
	st := h.status("p")
	require.Equal(t, int32(3), containerStatus(st, "crash").GetLastState().GetTerminated().GetExitCode())
	keep := containerStatus(st, "keep")
	require.Equal(t, before.GetContainerId(), keep.GetContainerId())
	require.Zero(t, keep.GetRestartCount())
	require.Len(t, h.rt.startTimes("keep"), 1, "the running container is adopted, not started again")
	require.Equal(t, 1, countOf(h.rt.calls(), "sandbox "), "the sandbox is adopted")
	require.Equal(t, before.GetState().GetRunning().GetStartedAt().AsTime(), keep.GetState().GetRunning().GetStartedAt().AsTime())
}

// TestOrphansRemoved: a sandbox of a pod that no source wants after a restart is stopped and removed.
func TestOrphansRemoved(t *testing.T) {
	h := newHarness(t, nil)
	h.add(newPod("p", ctr("app")))
	h.eventually("p", "Running", phase(PhaseRunning))
	h.stop()
	h.start(nil)
	h.relist() // nothing happens before the sources said what they want
	require.NotContains(t, h.rt.calls(), "removesandbox")
	h.drop("p")
	h.relist()
	require.Eventually(t, func() bool { return slices.Contains(h.rt.calls(), "removesandbox") }, 10*time.Second, 2*time.Millisecond)
	require.Contains(t, h.rt.calls(), "stop app 30s")
}

func countOf(calls []string, prefix string) int {
	n := 0
	for _, c := range calls {
		if len(c) >= len(prefix) && c[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}
