package e2e

import (
	"errors"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/config"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// daemon is one started binary.
type daemon struct {
	name   string
	cmd    *exec.Cmd
	exited chan error
}

// waitHealthy polls url until it answers 200 or the daemon exits.
func (d *daemon) waitHealthy(t *testing.T, url string) {
	t.Helper()
	c := http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-d.exited:
			t.Fatalf("keelson-%s exited before it was healthy: %v", d.name, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("keelson-%s not healthy at %s after 60s", d.name, url)
}

// stop sends SIGTERM and requires a clean exit within the deadline.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-d.exited:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("keelson-%s exited with %d on SIGTERM", d.name, exit.ExitCode())
		}
		require.NoError(t, err, "keelson-%s", d.name)
	case <-time.After(30 * time.Second):
		t.Fatalf("keelson-%s still running 30s after SIGTERM", d.name)
	}
}

// TestEveryDaemonServesHealthAndStopsOnSIGTERM starts each built binary with its configuration
// from flags and the environment, waits for /healthz, and stops it with SIGTERM.
func TestEveryDaemonServesHealthAndStopsOnSIGTERM(t *testing.T) {
	bin := requireBinaries(t)
	api := strconv.Itoa(freePort(t))
	apiserver := startDaemon(t, bin, "apiserver", nil, "--port", api, "--data-dir", t.TempDir(),
		"--etcd-client-port", "0", "--etcd-peer-port", "0", "--log-level", "warn")
	apiserver.waitHealthy(t, "http://127.0.0.1:"+api+"/readyz")

	endpoint := "127.0.0.1:" + api
	others := []struct {
		name string
		args []string
	}{
		{"scheduler", []string{"--apiserver", endpoint}},
		{"controller-manager", []string{"--apiserver", endpoint}},
		{"kubelet", []string{"--apiserver", endpoint, "--hostname-override", "e2e-node"}},
		{"proxy", []string{"--apiserver", endpoint, "--hostname-override", "e2e-node", "--metrics-port", strconv.Itoa(freePort(t))}},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			port := strconv.Itoa(freePort(t))
			// The port comes from the environment, as every flag may.
			cmd := startDaemon(t, bin, o.name, []string{config.EnvVar(o.name, "port") + "=" + port}, o.args...)
			cmd.waitHealthy(t, "http://127.0.0.1:"+port+"/healthz")
			cmd.stop(t)
		})
	}
	apiserver.stop(t)
}

// startDaemon starts bin/keelson-<name> with extra environment variables; the test kills it if it
// is still running at the end.
func startDaemon(t *testing.T, bin, name string, env []string, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "keelson-"+name), args...)
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Stdout = &testWriter{t: t}
	cmd.Stderr = &testWriter{t: t}
	require.NoError(t, cmd.Start())
	d := &daemon{name: name, cmd: cmd, exited: make(chan error, 1)}
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return d
}
