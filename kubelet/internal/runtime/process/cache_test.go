package process

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// TestCachedStateFollowsTheFiles checks that what a Runtime caches of its state files never hides
// a change: another Runtime on the same root stops a sandbox and a container, and the first sees
// both at once.
func TestCachedStateFollowsTheFiles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sid, sb := e.sandbox("cached", nil)
	id := e.container(sid, sb, "main", nil, "sleep", "300")
	for range 2 { // the second round is served from the caches
		sbs, err := e.rt.ListPodSandbox(ctx, nil)
		require.NoError(t, err)
		require.Len(t, sbs, 1)
		require.Equal(t, cri.SandboxReady, sbs[0].State)
		st, err := e.rt.ContainerStatus(ctx, id)
		require.NoError(t, err)
		require.Equal(t, cri.ContainerRunning, st.State)
	}

	other, err := New(e.opts)
	require.NoError(t, err)
	require.NoError(t, other.StopPodSandbox(ctx, sid))

	got, err := e.rt.PodSandboxStatus(ctx, sid)
	require.NoError(t, err)
	require.Equal(t, cri.SandboxNotReady, got.State)
	ready := cri.SandboxReady
	sbs, err := e.rt.ListPodSandbox(ctx, &cri.SandboxFilter{State: &ready})
	require.NoError(t, err)
	require.Empty(t, sbs)
	st, err := e.rt.ContainerStatus(ctx, id)
	require.NoError(t, err)
	require.Equal(t, cri.ContainerExited, st.State)
	require.Equal(t, int32(128+9), st.ExitCode, "killed by the stop")
}

func TestDefaultMonitorCommand(t *testing.T) {
	dir := t.TempDir()
	kubelet := filepath.Join(dir, "keelson-kubelet")
	require.Equal(t, []string{kubelet, "monitor"}, monitorCommandFor(kubelet), "without the dedicated binary")
	dedicated := filepath.Join(dir, MonitorBinary)
	require.NoError(t, os.WriteFile(dedicated, nil, 0o600))
	require.Equal(t, []string{kubelet, "monitor"}, monitorCommandFor(kubelet), "not executable")
	require.NoError(t, os.Chmod(dedicated, 0o700))
	require.Equal(t, []string{dedicated}, monitorCommandFor(kubelet))
}
