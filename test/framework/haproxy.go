package framework

import (
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
)

// HAProxyConfig renders the shipped HAProxy configuration (deploy/haproxy/haproxy.cfg, read from
// shipped) for a test: HAProxy listens on listen and balances over servers, all on loopback, with
// the shipped timeouts, retries and check tuning. The checks stay as shipped, GET /readyz over TLS
// verifying the serving certificate, against caFile (the test cluster's CA) instead of the
// installed one, so the servers must serve TLS with a certificate caFile signed. It fails the
// test if the shipped file lost a line it rewrites.
func HAProxyConfig(tb testing.TB, shipped, listen string, servers []string, caFile string) string {
	tb.Helper()
	b, err := os.ReadFile(shipped)
	if err != nil {
		tb.Fatalf("read the shipped haproxy config: %v", err)
	}
	cfg := string(b)
	replace := func(re, with string) {
		tb.Helper()
		r := regexp.MustCompile(re)
		if !r.MatchString(cfg) {
			tb.Fatalf("the shipped haproxy config has no %s", re)
		}
		cfg = r.ReplaceAllLiteralString(cfg, with)
	}
	// The checks find the test's CA where the CA base points. The test stops HAProxy gracefully;
	// the watches it still carries must not hold it up.
	replace(`(?m)^\s*ca-base /etc/keelson/pki$`, "    ca-base "+filepath.Dir(caFile)+"\n    hard-stop-after 2s")
	replace(`(?m)^(\s*)bind :6443$`, "    bind "+listen)
	// HAProxy raises its file limit to twice maxconn; a test machine's hard limit may be lower.
	replace(`(?m)^\s*maxconn 20000$`, "    maxconn 1000")
	replace(` check-ssl verify required ca-file ca\.crt `, " check-ssl verify required ca-file "+filepath.Base(caFile)+" ")
	var lines []string
	for i, s := range servers {
		lines = append(lines, fmt.Sprintf("    server master-%d %s", i+1, s))
	}
	replace(`(?m)(^\s*server master-\d .*\n)+`, strings.Join(lines, "\n")+"\n")
	return cfg
}

// HAProxyCommand checks the configuration at cfgPath with `haproxy -c` and returns a Command that
// runs HAProxy on it in the foreground, its output appended to logPath. The Command stops HAProxy
// with SIGUSR1, its graceful stop (exit status 0 once its connections are gone; SIGTERM exits with
// 143), which HAProxyConfig's hard-stop-after bounds.
func HAProxyCommand(tb testing.TB, cfgPath, logPath string) *Command {
	tb.Helper()
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		tb.Fatalf("haproxy must be on PATH (make deps installs it): %v", err)
	}
	check := exec.Command(haproxy, "-c", "-f", cfgPath) //nolint:noctx // a quick check of a file
	if out, err := check.CombinedOutput(); err != nil {
		tb.Fatalf("haproxy -c: %v: %s", err, out)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		tb.Fatalf("haproxy log: %v", err)
	}
	// Registered before the command starts, so it runs once HAProxy has stopped.
	tb.Cleanup(func() { _ = logFile.Close() })
	cmd := exec.Command(haproxy, "-db", "-f", cfgPath) //nolint:noctx // Command stops it
	cmd.Stdout, cmd.Stderr = logFile, logFile
	return &Command{Cmd: cmd, StopSignal: syscall.SIGUSR1, KillAfter: 10 * time.Second}
}

// WaitListening polls until something accepts TCP connections on addr, failing the test after
// timeout or as soon as r stopped.
func (r *Running) WaitListening(addr string, timeout time.Duration) {
	r.tb.Helper()
	r.WaitFor(timeout, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
		return true
	}, "%s listens on %s", r.name, addr)
}

// RepoRoot returns the repository's root directory (where bin/ and deploy/ are).
func RepoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return ".."
	}
	// Tests run in their package's directory, one level below test/.
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d
		}
	}
	return filepath.Join(wd, "..", "..")
}
