package process

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
)

// TestCachedStateFollowsTheFiles checks that what a Runtime caches of its state files never hides
// a change: another Runtime on the same root makes a sandbox and a container, stops a sandbox and
// a container, and the first sees each at once.
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
	// Once both listings are cached, the other Runtime adds a sandbox and a container.
	cached := func(idx *dirIndex) bool { idx.mu.Lock(); defer idx.mu.Unlock(); return idx.ok }
	sel := map[string]string{cri.LabelPodName: "cached"}
	require.Eventually(t, func() bool {
		_, err1 := e.rt.ListPodSandbox(ctx, &cri.SandboxFilter{LabelSelector: sel})
		_, err2 := e.rt.ListContainers(ctx, &cri.ContainerFilter{LabelSelector: map[string]string{cri.LabelContainer: "main"}})
		return err1 == nil && err2 == nil && cached(&e.rt.sandboxIDs) && cached(&e.rt.containerIDs)
	}, 10*time.Second, 5*time.Millisecond)
	sid2, err := other.RunPodSandbox(ctx, &cri.PodSandboxConfig{
		Metadata:     cri.PodSandboxMetadata{Name: "second", Namespace: "default", UID: "uid-second"},
		LogDirectory: filepath.Join(e.logDir, "default_second"),
		Labels:       map[string]string{cri.LabelPodName: "second"},
	})
	require.NoError(t, err)
	id2, err := other.CreateContainer(ctx, sid2, &cri.ContainerConfig{
		Metadata: cri.ContainerMetadata{Name: "second"},
		Command:  []string{"true"},
		Labels:   map[string]string{cri.LabelContainer: "second"},
	}, nil)
	require.NoError(t, err)
	sbs, err := e.rt.ListPodSandbox(ctx, &cri.SandboxFilter{LabelSelector: map[string]string{cri.LabelPodName: "second"}})
	require.NoError(t, err)
	require.Len(t, sbs, 1)
	require.Equal(t, sid2, sbs[0].ID)
	ctrs, err := e.rt.ListContainers(ctx, &cri.ContainerFilter{LabelSelector: map[string]string{cri.LabelContainer: "second"}})
	require.NoError(t, err)
	require.Len(t, ctrs, 1)
	require.Equal(t, id2, ctrs[0].ID)
	require.Equal(t, cri.ContainerCreated, ctrs[0].State)

	require.NoError(t, other.StopPodSandbox(ctx, sid))

	got, err := e.rt.PodSandboxStatus(ctx, sid)
	require.NoError(t, err)
	require.Equal(t, cri.SandboxNotReady, got.State)
	ready := cri.SandboxReady
	sbs, err = e.rt.ListPodSandbox(ctx, &cri.SandboxFilter{State: &ready, LabelSelector: sel})
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
