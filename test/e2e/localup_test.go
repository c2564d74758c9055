package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/test/framework"
)

// repoRoot returns the repository root.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// requireBinaries fails unless `make build` has put every daemon in bin/.
func requireBinaries(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot(t), "bin")
	for _, d := range []string{"apiserver", "scheduler", "controller-manager", "kubelet", "proxy"} {
		_, err := os.Stat(filepath.Join(bin, "keelson-"+d))
		require.NoError(t, err, "bin/keelson-%s is missing: run `make build`", d)
	}
	return bin
}

// TestMakeRunStartsALocalCluster runs what `make run` runs (hack/local-up.sh) in a scratch state
// directory, checks the apiserver on 127.0.0.1:6443 with curl-like requests and the real kubectl
// through the kubeconfig it wrote, then stops it with SIGINT as Ctrl-C would.
func TestMakeRunStartsALocalCluster(t *testing.T) {
	bin := requireBinaries(t)
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl must be on PATH")
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6443", time.Second); err == nil {
		_ = c.Close()
		t.Fatal("127.0.0.1:6443 is taken: stop the running local cluster first")
	}
	state := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.Command(filepath.Join(repoRoot(t), "hack", "local-up.sh"))
	cmd.Env = append(os.Environ(), "KEELSON_STATE_DIR="+state, "KEELSON_BIN_DIR="+bin, "KEELSON_STOP_TIMEOUT=20")
	// Its own process group, which Ctrl-C (SIGINT) reaches as a whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = &testWriter{t: t}
	localUp := framework.Start(t, &framework.Command{Cmd: cmd, StopSignal: syscall.SIGINT})

	kubeconfig := filepath.Join(state, "kubeconfig")
	localUp.WaitFor(2*time.Minute, func() bool {
		_, err := os.Stat(kubeconfig)
		return err == nil && ready(t)
	}, "the local cluster up")
	kc, err := os.ReadFile(kubeconfig)
	require.NoError(t, err)
	require.Contains(t, string(kc), "server: http://127.0.0.1:6443")

	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", kubeconfig, "version", "-o", "json").CombinedOutput()
	require.NoError(t, err, string(out))
	var v struct {
		ServerVersion struct{ Major, Minor, GitVersion string } `json:"serverVersion"`
	}
	require.NoError(t, json.Unmarshal(out, &v), string(out))
	require.Equal(t, "1", v.ServerVersion.Major)
	require.Equal(t, "32", v.ServerVersion.Minor)
	require.Contains(t, v.ServerVersion.GitVersion, "keelson")

	_, err = os.Stat(filepath.Join(state, "etcd"))
	require.NoError(t, err, "embedded etcd data lives in the state directory")

	// The README's tour: the node is Ready, and a pod runs, logs and is deleted.
	kubectlRun := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
		return string(out), err
	}
	host, err := os.Hostname()
	require.NoError(t, err)
	var msg string
	msg, err = kubectlRun("wait", "--for=condition=Ready", "node/"+strings.ToLower(host), "--timeout=60s")
	require.NoError(t, err, msg)
	msg, err = kubectlRun("run", "hello", "--image=none", "--restart=Never", "--command", "--",
		"/bin/sh", "-c", "echo hello from keelson")
	require.NoError(t, err, msg)
	framework.Eventually(t, time.Minute, func() bool {
		phase, _ := kubectlRun("get", "pod", "hello", "-o", "jsonpath={.status.phase}")
		return phase == "Succeeded"
	}, "pod hello Succeeded")
	msg, err = kubectlRun("logs", "hello")
	require.NoError(t, err, msg)
	require.Equal(t, "hello from keelson\n", msg)
	msg, err = kubectlRun("delete", "pod", "hello", "--timeout=60s")
	require.NoError(t, err, msg)

	// Ctrl-C stops every process the script started.
	require.NoError(t, localUp.Stop(), "local-up.sh exits cleanly on SIGINT")
	_, err = net.DialTimeout("tcp", "127.0.0.1:6443", time.Second)
	require.Error(t, err, "the apiserver is gone")
}

func ready(t *testing.T) bool {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:6443/readyz")
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }()
	return resp.StatusCode == http.StatusOK
}

// testWriter sends a process's output to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
