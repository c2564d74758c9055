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

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/test/framework"
)

// TestMakeRunStopsEverythingOnEachSignalAtEachStage runs hack/local-up.sh under make, as `make run`
// does, and sends SIGINT or SIGTERM to the whole process group (what Ctrl-C in a terminal, or a
// supervisor, does) at three stages: while the apiserver starts, a moment after a later daemon was
// started, and once the cluster is up. make forwards the signal to the script a second time. Every
// time, everything the run started must be gone within a few seconds, well inside the script's stop
// timeout: no daemon may be missed or left running because a signal came at a bad moment.
func TestMakeRunStopsEverythingOnEachSignalAtEachStage(t *testing.T) {
	bin := requireBinaries(t)
	requirePortFree(t, "127.0.0.1:6443")
	// A makefile whose run target is what `make run` runs after building, so the test measures
	// the signal handling and not a build.
	makefile := filepath.Join(t.TempDir(), "Makefile")
	require.NoError(t, os.WriteFile(makefile,
		[]byte("run:\n\t"+filepath.Join(repoRoot(t), "hack", "local-up.sh")+"\n"), 0o644))

	stages := []struct{ name, line string }{
		{"apiserver starting", "starting keelson-apiserver"},
		{"scheduler just started", "starting keelson-scheduler"},
		{"cluster up", "Keelson is running"},
	}
	for _, stage := range stages {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(fmt.Sprintf("%s/%s", stage.name, sig), func(t *testing.T) {
				marker := fmt.Sprintf("KEELSON_TEST_RUN=%d-%d", os.Getpid(), time.Now().UnixNano())
				cmd := exec.Command("make", "-s", "-f", makefile, "run")
				cmd.Env = append(os.Environ(), marker, "KEELSON_STATE_DIR="+t.TempDir(),
					"KEELSON_BIN_DIR="+bin, "KEELSON_STOP_TIMEOUT=30")
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				stderr, err := cmd.StderrPipe()
				require.NoError(t, err)
				cmd.Stdout = cmd.Stderr
				require.NoError(t, cmd.Start())
				t.Cleanup(func() { killMarked(marker) })
				run := watchLines(cmd, stderr)

				run.waitFor(t, stage.line, 90*time.Second)
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
				framework.Eventually(t, 10*time.Second, func() bool { return len(marked(marker)) == 0 },
					"every process of the run gone after %s at %q; still running: %v", sig, stage.name, marked(marker))
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
