package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// haproxyConfig renders the shipped deploy/haproxy/haproxy.cfg for the test: HAProxy listens on
// listen and balances over servers, all on loopback, with the shipped timeouts, retries and
// check tuning. The test's apiservers serve plain TCP, so the checks' TLS settings are dropped
// (check-ssl, verify, ca-file), and the CA base with them; everything else stays as shipped.
func haproxyConfig(t *testing.T, listen string, servers []string) string {
	t.Helper()
	shipped, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "haproxy", "haproxy.cfg"))
	require.NoError(t, err)
	cfg := string(shipped)
	replace := func(re, with string) {
		t.Helper()
		r := regexp.MustCompile(re)
		require.True(t, r.MatchString(cfg), "the shipped config has %s", re)
		cfg = r.ReplaceAllLiteralString(cfg, with)
	}
	// The test stops HAProxy gracefully; the watches it still carries must not hold it up.
	replace(`(?m)^\s*ca-base .*$`, "    hard-stop-after 2s")
	replace(`(?m)^(\s*)bind :6443$`, "    bind "+listen)
	// HAProxy raises its file limit to twice maxconn; a test machine's hard limit may be lower.
	replace(`(?m)^\s*maxconn 20000$`, "    maxconn 1000")
	replace(` check-ssl verify required ca-file ca\.crt`, "")
	var lines []string
	for i, s := range servers {
		lines = append(lines, fmt.Sprintf("    server master-%d %s", i+1, s))
	}
	replace(`(?m)(^\s*server master-\d .*\n)+`, strings.Join(lines, "\n")+"\n")
	return cfg
}

// TestHAProxyKeepsClientsGoingWhenAnAPIServerStops runs the real HAProxy, with the shipped
// configuration, in front of two apiservers on loopback. A client that knows HAProxy only writes
// through it; one apiserver is killed halfway through; every write still succeeds, each within
// the time HAProxy's checks take to take the dead replica out.
func TestHAProxyKeepsClientsGoingWhenAnAPIServerStops(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	require.NoError(t, err, "haproxy must be on PATH (make deps installs it)")
	cl := framework.StartCluster(t, framework.Options{APIServers: 2})
	servers := []string{cl.APIServer(0).Addr().String(), cl.APIServer(1).Addr().String()}
	listen := fmt.Sprintf("127.0.0.1:%d", loopbackPort(t))
	cfgPath := filepath.Join(t.TempDir(), "haproxy.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte(haproxyConfig(t, listen, servers)), 0o600))
	check := exec.Command(haproxy, "-c", "-f", cfgPath) //nolint:noctx // a quick check of a file
	out, err := check.CombinedOutput()
	require.NoError(t, err, "haproxy -c: %s", out)

	logPath := filepath.Join(t.TempDir(), "haproxy.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	defer func() { _ = logFile.Close() }()
	cmd := exec.Command(haproxy, "-db", "-f", cfgPath) //nolint:noctx // framework.Command stops it
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// SIGUSR1 is HAProxy's graceful stop (exit status 0 once its connections are gone; SIGTERM
	// exits with 143); the rendered config bounds it with hard-stop-after.
	framework.Start(t, &framework.Command{Cmd: cmd, StopSignal: syscall.SIGUSR1, KillAfter: 10 * time.Second})
	if !assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}, 10*time.Second, 20*time.Millisecond, "haproxy listens on %s", listen) {
		out, _ := os.ReadFile(logPath)
		t.Fatalf("haproxy does not listen; its output:\n%s", out)
	}

	c, err := client.New(client.Config{Endpoints: []string{listen}, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// write creates config map i, trying again (HAProxy may still send a new connection to the
	// dead replica before its checks fail) for at most gapLimit; it returns how long it took.
	const gapLimit = 10 * time.Second
	write := func(i int) time.Duration {
		t.Helper()
		start := time.Now()
		var err error
		for time.Since(start) < gapLimit {
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.ConfigMaps("default").Create(wctx, &corev1.ConfigMap{
				Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("through-haproxy-%d", i)}, Data: map[string]string{"i": fmt.Sprint(i)}})
			wcancel()
			// An earlier try that landed but lost its answer leaves the object created.
			if err == nil || apierrors.IsAlreadyExists(err) {
				return time.Since(start)
			}
		}
		require.NoError(t, err, "write %d through haproxy", i)
		return 0
	}

	const writes = 40
	var longest time.Duration
	for i := range writes {
		if i == writes/2 {
			cl.KillAPIServer(0)
		}
		longest = max(longest, write(i))
	}
	t.Logf("%d writes through haproxy, apiserver 0 killed after %d; the longest took %s", writes, writes/2, longest.Round(time.Millisecond))
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	n := 0
	for _, cm := range list.Items {
		if strings.HasPrefix(cm.GetMetadata().GetName(), "through-haproxy-") {
			n++
		}
	}
	require.Equal(t, writes, n, "every write is stored")
}
