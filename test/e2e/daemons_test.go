package e2e

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/test/framework"
)

// freePort returns a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestEveryDaemonServesHealthAndStopsOnSIGTERM starts each built binary with its configuration
// from flags and the environment, waits for /healthz, and stops it with SIGTERM.
func TestEveryDaemonServesHealthAndStopsOnSIGTERM(t *testing.T) {
	bin := requireBinaries(t)
	api := strconv.Itoa(freePort(t))
	apiserver := startDaemon(t, bin, "apiserver", nil, "--port", api, "--data-dir", t.TempDir(),
		"--etcd-client-port", "0", "--etcd-peer-port", "0", "--log-level", "warn", "--service-cluster-ip-range", "127.96.0.0/16")
	apiserver.WaitHealthy("http://127.0.0.1:"+api+"/readyz", 60*time.Second)

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
			d := startDaemon(t, bin, o.name, []string{config.EnvVar(o.name, "port") + "=" + port}, o.args...)
			d.WaitHealthy("http://127.0.0.1:"+port+"/healthz", 60*time.Second)
			require.NoError(t, d.Stop(), "keelson-%s stops cleanly on SIGTERM", o.name)
		})
	}
	require.NoError(t, apiserver.Stop(), "keelson-apiserver stops cleanly on SIGTERM")
}

// startDaemon starts bin/keelson-<name> with extra environment variables; it is stopped with
// SIGTERM, if still running, when the test ends.
func startDaemon(t *testing.T, bin, name string, env []string, args ...string) *framework.Running {
	t.Helper()
	r, _ := startDaemonCmd(t, bin, name, env, args...)
	return r
}

// startDaemonCmd is startDaemon, also returning the command, for a test that signals the process
// itself.
func startDaemonCmd(t *testing.T, bin, name string, env []string, args ...string) (*framework.Running, *framework.Command) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "keelson-"+name), args...)
	cmd.Env = append(cmd.Environ(), env...)
	cmd.Stdout = &testWriter{t: t}
	cmd.Stderr = &testWriter{t: t}
	c := &framework.Command{Cmd: cmd}
	return framework.Start(t, c), c
}
