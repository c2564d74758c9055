package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMakeRunStopsEverythingOnEachSignalAtEachStage runs hack/local-up.sh under make, as `make run`
// does, and sends SIGINT or SIGTERM to the whole process group (what Ctrl-C in a terminal, or a
// supervisor, does) at each stage of start-up: the moment the kubelet was started, once it is up
// and launching the control plane's static pods, once the apiserver it runs is ready, and once the
// whole cluster is up. make forwards the signal to the script a second time. Every time, everything
// the run started must be gone within a few seconds, well inside the script's stop timeout: the
// kubelet and its monitors (found by a marker in their environment) and the static pods' processes
// (found by the run's own cgroup, which must be gone too). No process may be missed or left running
// because a signal came at a bad moment.
func TestMakeRunStopsEverythingOnEachSignalAtEachStage(t *testing.T) {
	bin := requireBinaries(t)
	requirePortFree(t, "127.0.0.1:6443")
	// A makefile whose run target is what `make run` runs after building, so the test measures
	// the signal handling and not a build.
	makefile := filepath.Join(t.TempDir(), "Makefile")
	require.NoError(t, os.WriteFile(makefile,
		[]byte("run:\n\t"+filepath.Join(repoRoot(t), "hack", "local-up.sh")+"\n"), 0o644))

	stages := []struct{ name, line string }{
		{"kubelet just started", "starting keelson-kubelet"},
		{"static pods starting", "keelson-kubelet healthy"},
		{"apiserver ready", "kube-apiserver ready"},
		{"cluster up", "Keelson is running"},
	}
	for _, stage := range stages {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(fmt.Sprintf("%s/%s", stage.name, sig), func(t *testing.T) {
				marker, cgroupRoot := runMarkers()
				cmd := exec.Command("make", "-s", "-f", makefile, "run")
				cmd.Env = append(os.Environ(), marker, "KEELSON_CGROUP_ROOT="+cgroupRoot, "KEELSON_STATE_DIR="+t.TempDir(),
					"KEELSON_BIN_DIR="+bin, "KEELSON_STOP_TIMEOUT=30")
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				stderr, err := cmd.StderrPipe()
				require.NoError(t, err)
				cmd.Stdout = cmd.Stderr
				require.NoError(t, cmd.Start())
				t.Cleanup(func() { killRun(marker, cgroupRoot) })
				run := watchLines(cmd, stderr)

				run.waitFor(t, stage.line, 90*time.Second)
				started := append(marked(marker), cgroupProcs(cgroupRoot)...)
				sent := time.Now()
				require.NoError(t, syscall.Kill(-cmd.Process.Pid, sig))
				// A second SIGTERM to the script while it stops, as make sends one: the script
				// must finish stopping, not die halfway through.
				run.waitFor(t, "local-up: stopping", 20*time.Second)
				for _, pid := range marked(marker) {
					if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.Contains(cmdline, []byte("local-up.sh")) {
						_ = syscall.Kill(pid, syscall.SIGTERM)
					}
				}
				run.waitFor(t, "local-up: stopped", 20*time.Second)
				select {
				case <-run.exited:
				case <-time.After(20 * time.Second):
					t.Fatalf("make run still running 20s after %s", sig)
				}
				assert.Eventually(t, func() bool {
					return len(marked(marker)) == 0 && len(alive(started)) == 0 && len(cgroupDirs(cgroupRoot)) == 0
				}, 10*time.Second, 20*time.Millisecond, "every process and cgroup of the run gone after %s at %q", sig, stage.name)
				require.Empty(t, marked(marker), "processes started by the run still running")
				require.Empty(t, alive(started), "processes of the cluster still running")
				require.Empty(t, cgroupDirs(cgroupRoot), "cgroups left behind")
				require.Less(t, time.Since(sent), 15*time.Second,
					"stopping waited out the stop timeout: a daemon was missed by the first signal")
			})
		}
	}
}

// lineWatcher hands a command's output to the test line by line.
type lineWatcher struct {
	lines  chan string
	exited chan struct{}
	seen   []string
}

// watchLines reads r until the command ends; exited closes once it has.
func watchLines(cmd *exec.Cmd, r io.Reader) *lineWatcher {
	w := &lineWatcher{lines: make(chan string, 1024), exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
		_ = cmd.Wait()
		close(w.exited)
	}()
	return w
}

// waitFor consumes lines until one contains substr, failing with everything seen when the output
// ends or timeout passes first.
func (w *lineWatcher) waitFor(t *testing.T, substr string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				t.Fatalf("output ended before %q:\n%s", substr, strings.Join(w.seen, "\n"))
			}
			w.seen = append(w.seen, line)
			if strings.Contains(line, substr) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q after %s:\n%s", substr, timeout, strings.Join(w.seen, "\n"))
		}
	}
}

// requirePortFree fails the test when something already listens on addr.
func requirePortFree(t *testing.T, addr string) {
	t.Helper()
	require.False(t, ready(t), "%s is taken: stop the running local cluster first", addr)
}

// marked returns the PIDs of the processes whose environment holds marker (NAME=VALUE): the
// processes a run started, however they detached from its process group.
func marked(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == marker {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// killMarked kills whatever a failed run left behind, so one failure does not break the next run.
func killMarked(marker string) {
	for _, pid := range marked(marker) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
