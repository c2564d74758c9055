package e2e

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
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
// from flags and the environment, against a secure apiserver and each with its own identity,
// waits for /healthz, and stops it with SIGTERM.
func TestEveryDaemonServesHealthAndStopsOnSIGTERM(t *testing.T) {
	bin := requireBinaries(t)
	const node = "e2e-node"
	p := newClusterPKI(t, bin, node)
	apiserver := p.startAPIServer(t, bin, t.TempDir(), "--log-level", "warn")

	// healthFlag names each daemon's plain-text health port: the kubelet's API port serves TLS
	// to clients of the cluster CA only, so its health is read on --healthz-port, as Kubernetes'.
	others := []struct {
		name, healthFlag string
		args             []string
	}{
		{"scheduler", "port", p.kubeconfigArgs(clusterpki.SchedulerName)},
		{"controller-manager", "port", p.kubeconfigArgs(clusterpki.ControllerManagerName)},
		{"kubelet", "healthz-port", append(p.kubeletArgs(t, node, ""), "--hostname-override", node, "--port", strconv.Itoa(freePort(t)))},
		{"proxy", "port", append(p.kubeconfigArgs(clusterpki.ProxyName), "--hostname-override", node, "--metrics-port", strconv.Itoa(freePort(t)))},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			port := strconv.Itoa(freePort(t))
			// The port comes from the environment, as every flag may.
			d := startDaemon(t, bin, o.name, []string{config.EnvVar(o.name, o.healthFlag) + "=" + port}, o.args...)
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
