package e2e

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/test/framework"
)

// kubectlEnv is one secure apiserver binary on a free loopback port and the admin's kubeconfig.
type kubectlEnv struct {
	t          *testing.T
	kubectl    string
	kubeconfig string
	dir        string
	// pki is the cluster's PKI: the other daemons' kubeconfigs and the kubelets' certificates.
	pki *clusterPKI
}

// startKubectlEnv generates a cluster PKI with bin/keelson-pki (with the identities of the
// kubelets of nodes) and starts bin/keelson-apiserver with it and an embedded etcd in a scratch
// directory: TLS only, client certificates, Node,RBAC. kubectl runs with the admin's kubeconfig
// (system:masters). The apiserver stops when the test ends.
func startKubectlEnv(t *testing.T, nodes ...string) *kubectlEnv {
	t.Helper()
	bin := requireBinaries(t)
	kubectl := requireKubectl(t)
	dir := t.TempDir()
	p := newClusterPKI(t, bin, nodes...)
	cmd := exec.Command(filepath.Join(bin, "keelson-apiserver"),
		append([]string{"--etcd-client-port", "0", "--etcd-peer-port", "0", "--data-dir", filepath.Join(dir, "etcd")},
			p.apiserverArgs()...)...)
	logf, err := os.Create(filepath.Join(dir, "apiserver.log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Registered before the apiserver starts, so it runs once the apiserver has stopped.
	t.Cleanup(func() {
		_ = logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("apiserver log:\n%s", b)
			}
		}
	})
	p.waitReady(t, framework.Start(t, &framework.Command{Cmd: cmd}))
	return &kubectlEnv{t: t, kubectl: kubectl, kubeconfig: p.Kubeconfig(clusterpki.AdminName), dir: dir, pki: p}
}

// requireKubectl fails unless the real kubectl is on PATH, and returns its path.
func requireKubectl(t *testing.T) string {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl must be on PATH")
	return kubectl
}

func loopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// kubectlResult is what one kubectl run printed and how it exited.
type kubectlResult struct {
	stdout, stderr string
	code           int
}

// run runs kubectl with args (and extra environment) and returns its output and exit code.
func (e *kubectlEnv) run(env []string, args ...string) kubectlResult {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A private discovery cache: kubectl keeps one per server address for hours.
	cmd := exec.CommandContext(ctx, e.kubectl, append([]string{"--kubeconfig", e.kubeconfig,
		"--cache-dir", filepath.Join(e.dir, "cache")}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(e.t, err, "kubectl %s", strings.Join(args, " "))
	}
	return kubectlResult{stdout: out.String(), stderr: errb.String(), code: code}
}

// ok runs kubectl, requires exit code 0, and returns stdout.
func (e *kubectlEnv) ok(args ...string) string {
	e.t.Helper()
	r := e.run(nil, args...)
	require.Equal(e.t, 0, r.code, "kubectl %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stdout
}

// fails runs kubectl, requires exit code 1, and returns stderr.
func (e *kubectlEnv) fails(args ...string) string {
	e.t.Helper()
	r := e.run(nil, args...)
	require.Equal(e.t, 1, r.code, "kubectl %s should fail\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.stdout, r.stderr)
	return r.stderr
}

// file writes content to a file in the scratch directory and returns its path.
func (e *kubectlEnv) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	require.NoError(e.t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// rows returns the lines of a table output without the header, each split into columns.
func tableRows(out string) [][]string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var rs [][]string
	for _, l := range lines[1:] {
		rs = append(rs, strings.Fields(l))
	}
	return rs
}
