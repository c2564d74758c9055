package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
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
	for _, d := range []string{"apiserver", "scheduler", "controller-manager", "kubelet", "proxy", "pki"} {
		_, err := os.Stat(filepath.Join(bin, "keelson-"+d))
		require.NoError(t, err, "bin/keelson-%s is missing: run `make build`", d)
	}
	return bin
}

// controlPlane are the static pods `make run` renders from deploy/static-pods/local/.
var controlPlane = []string{"kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler"}

// TestMakeRunStartsALocalCluster runs what `make run` runs (hack/local-up.sh) in a scratch state
// directory and cgroup: the script starts only the kubelet, whose static pods are the control
// plane. It checks the node is Ready and the control plane's mirror pods run in kube-system, runs
// the README's tour with the real kubectl (a pod that prints a line, its log, its deletion), then
// stops the script with SIGINT as Ctrl-C would and checks that no process of the cluster is left,
// by cgroup and by process list.
func TestMakeRunStartsALocalCluster(t *testing.T) {
	lc := startLocalUp(t)
	kubectl, kubeconfig, state, cgroupRoot := lc.kubectl.kubectl, lc.kubectl.kubeconfig, lc.state, lc.cgroupRoot
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kc, err := os.ReadFile(kubeconfig)
	require.NoError(t, err)
	require.Contains(t, string(kc), "server: https://127.0.0.1:6443")
	require.Contains(t, string(kc), "client-certificate-data: ")
	st, err := os.Stat(filepath.Join(state, "pki", "ca.key"))
	require.NoError(t, err, "the script generated the cluster's PKI")
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	kubectlRun := func(args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
		return string(out), err
	}

	out1, err := kubectlRun("version", "-o", "json")
	require.NoError(t, err, out1)
	var v struct {
		ServerVersion struct{ Major, Minor, GitVersion string } `json:"serverVersion"`
	}
	require.NoError(t, json.Unmarshal([]byte(out1), &v), out1)
	require.Equal(t, "1", v.ServerVersion.Major)
	require.Equal(t, "32", v.ServerVersion.Minor)
	require.Contains(t, v.ServerVersion.GitVersion, "keelson")
	_, err = os.Stat(filepath.Join(state, "etcd", "member"))
	require.NoError(t, err, "the apiserver static pod keeps its embedded etcd's data in the state directory")

	// The script waited for the node and the mirror pods before it wrote the kubeconfig.
	host, err := os.Hostname()
	require.NoError(t, err)
	node := strings.ToLower(host)
	msg, err := kubectlRun("get", "node", node, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
	require.NoError(t, err, msg)
	require.Equal(t, "True", msg, "node %s Ready", node)
	msg, err = kubectlRun("get", "pods", "-n", "kube-system", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase} {.metadata.annotations.kubernetes\.io/config\.mirror}{"\n"}{end}`)
	require.NoError(t, err, msg)
	mirrors := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[1] == node && f[2] == "Running" && f[3] != "" {
			mirrors[f[0]] = true
		}
	}
	for _, name := range controlPlane {
		require.True(t, mirrors[name+"-"+node], "no Running mirror pod %s-%s in kube-system:\n%s", name, node, msg)
	}
	msg, err = kubectlRun("get", "pods", "-n", "kube-system")
	require.NoError(t, err, msg)
	t.Logf("kubectl get pods -n kube-system:\n%s", msg)
	// Each control-plane daemon is a process of the kubelet's cgroup tree, not of the script.
	for _, name := range []string{"keelson-apiserver", "keelson-scheduler", "keelson-controller-manager", "keelson-proxy"} {
		require.True(t, slices.ContainsFunc(cgroupProcs(cgroupRoot), func(pid int) bool { return exeName(pid) == name }),
			"%s runs in the kubelet's cgroup %s", name, cgroupRoot)
	}

	// The README's tour: a pod runs, prints a line, shows it in its log, and is stopped by delete.
	msg, err = kubectlRun("run", "hello", "--image=none", "--restart=Never", "--command", "--",
		"/bin/sh", "-c", "echo hello from keelson; exec sleep 3600")
	require.NoError(t, err, msg)
	framework.Eventually(t, time.Minute, func() bool {
		phase, _ := kubectlRun("get", "pod", "hello", "-o", "jsonpath={.status.phase}")
		return phase == "Running"
	}, "pod hello Running")
	uid, err := kubectlRun("get", "pod", "hello", "-o", "jsonpath={.metadata.uid}")
	require.NoError(t, err, uid)
	helloProcs := func() []int { return cgroupProcs(cgroupRoot + "/kubepods/besteffort/pod" + uid) }
	require.NotEmpty(t, helloProcs(), "pod hello's process runs in its pod cgroup")
	sleeper := helloProcs()
	framework.Eventually(t, 30*time.Second, func() bool {
		msg, err = kubectlRun("logs", "hello")
		return err == nil && msg != ""
	}, "a log of pod hello")
	require.Equal(t, "hello from keelson\n", msg)
	msg, err = kubectlRun("delete", "pod", "hello", "--timeout=60s")
	require.NoError(t, err, msg)
	require.Empty(t, helloProcs(), "deleting pod hello stopped its process")
	require.Empty(t, alive(sleeper), "deleting pod hello stopped its process")

	lc.stop(t)
}

// localUp is one run of hack/local-up.sh, as `make run` runs it, in a scratch state directory and
// cgroup of its own.
type localUp struct {
	run        *framework.Running
	state      string
	marker     string
	cgroupRoot string
	out        *lineRecorder // the script's output
	kubectl    *kubectlEnv   // runs the real kubectl with the kubeconfig the script wrote
}

// startLocalUp starts hack/local-up.sh and waits until it says the cluster is up and the apiserver
// is ready. Whatever the run leaves behind is killed when the test ends.
func startLocalUp(t *testing.T) *localUp {
	t.Helper()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6443", time.Second); err == nil {
		_ = c.Close()
		t.Fatal("127.0.0.1:6443 is taken: stop the running local cluster first")
	}
	bin, kubectl := requireBinaries(t), requireKubectl(t)
	state := t.TempDir()
	marker, cgroupRoot := runMarkers()
	cmd := exec.Command(filepath.Join(repoRoot(t), "hack", "local-up.sh"))
	cmd.Env = append(os.Environ(), marker, "KEELSON_CGROUP_ROOT="+cgroupRoot,
		"KEELSON_STATE_DIR="+state, "KEELSON_BIN_DIR="+bin, "KEELSON_STOP_TIMEOUT=20")
	// Its own process group, which Ctrl-C (SIGINT) reaches as a whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &lineRecorder{t: t}
	cmd.Stdout, cmd.Stderr = out, out
	t.Cleanup(func() { killRun(marker, cgroupRoot) })
	run := framework.Start(t, &framework.Command{Cmd: cmd, StopSignal: syscall.SIGINT})

	running := regexp.MustCompile(`Keelson is running \(up in ([0-9.]+)s`)
	run.WaitFor(2*time.Minute, func() bool { return out.match(running) != nil }, "the local cluster up")
	t.Logf("local-up.sh came up in %ss", out.match(running)[1])
	// The PKI local-up.sh generated: the apiserver serves TLS with it.
	p := &clusterPKI{Cluster: &clusterpki.Cluster{Spec: clusterpki.Spec{Dir: filepath.Join(state, "pki"),
		KubeconfigDir: filepath.Join(state, "pki")}}, port: 6443, server: "https://127.0.0.1:6443"}
	require.True(t, p.readyz(t, p.addr())(), "the apiserver is ready over TLS")
	env := &kubectlEnv{t: t, kubectl: kubectl, kubeconfig: filepath.Join(state, "kubeconfig"), dir: t.TempDir(), pki: p}
	return &localUp{run: run, out: out, kubectl: env, state: state, marker: marker, cgroupRoot: cgroupRoot}
}

// stop sends SIGINT as Ctrl-C would and checks that every process of the cluster is gone: the
// kubelet, the monitors it started (both carry the run's marker in their environment), and the
// static pods' processes in its cgroups, which must be gone too.
func (lc *localUp) stop(t *testing.T) {
	t.Helper()
	cluster := append(marked(lc.marker), cgroupProcs(lc.cgroupRoot)...)
	require.GreaterOrEqual(t, len(cluster), 1+2*len(controlPlane), "the kubelet, and a monitor and a process per static pod")
	require.NoError(t, lc.run.Stop(), "local-up.sh exits cleanly on SIGINT")
	require.Empty(t, alive(cluster), "processes of the cluster still running after Ctrl-C")
	require.Empty(t, marked(lc.marker), "processes started by the run still running after Ctrl-C")
	require.Empty(t, cgroupDirs(lc.cgroupRoot), "cgroups left behind after Ctrl-C")
	_, err := net.DialTimeout("tcp", "127.0.0.1:6443", time.Second)
	require.Error(t, err, "the apiserver is gone")
	require.NotEmpty(t, lc.out.match(regexp.MustCompile(`local-up: stopped \(`)), "local-up.sh says it stopped")
}

// ready reports whether anything answers /readyz on 127.0.0.1:6443, over TLS or, from an older or
// development cluster, in plain text: a run of local-up.sh needs the port to itself.
func ready(t *testing.T) bool {
	t.Helper()
	// Anything ready on the port counts, whatever its certificate: the cluster's own checks go
	// through kubectl and the generated kubeconfig.
	c := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // only asks whether something is ready
	}}
	for _, url := range []string{"https://127.0.0.1:6443/readyz", "http://127.0.0.1:6443/readyz"} {
		resp, err := c.Get(url)
		if err != nil {
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true
		}
	}
	return false
}

// runMarkers returns an environment entry (NAME=VALUE) that marks the processes of one run of
// local-up.sh, and a cgroup root of the run's own, both unique to this test process and moment.
func runMarkers() (marker, cgroupRoot string) {
	id := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	return "KEELSON_TEST_RUN=" + id, "keelson-test-" + id
}

// cgroupDirs lists the cgroup directories named root (a path below a hierarchy's top) in every
// cgroup hierarchy: v1's, one per controller, and v2's unified one.
func cgroupDirs(root string) []string {
	var dirs []string
	tops, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, top := range append(tops, "/sys/fs/cgroup") {
		if fi, err := os.Stat(filepath.Join(top, root)); err == nil && fi.IsDir() {
			dirs = append(dirs, filepath.Join(top, root))
		}
	}
	return dirs
}

// cgroupProcs returns the processes in cgroup root and below it, in any hierarchy.
func cgroupProcs(root string) []int {
	var pids []int
	for _, dir := range cgroupDirs(root) {
		_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil // a cgroup removed while walking has no processes left
			}
			b, _ := os.ReadFile(path)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// alive returns those of pids whose process still exists and is not a zombie.
func alive(pids []int) []int {
	var out []int
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The state follows the command's closing parenthesis.
		if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'Z' {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// exeName returns the file name of the program pid runs, "" when it has gone.
func exeName(pid int) string {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return ""
	}
	return filepath.Base(exe)
}

// killRun kills whatever a failed run left behind, so that one failure does not break the next
// run: the processes carrying its marker, and those in its cgroups, which it then removes.
func killRun(marker, cgroupRoot string) {
	killMarked(marker)
	for _, pid := range cgroupProcs(cgroupRoot) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	// Killed processes take a moment to leave their cgroups: a removal that fails is retried.
	framework.Poll(5*time.Second, 50*time.Millisecond, func() bool {
		for _, dir := range cgroupDirs(cgroupRoot) {
			var sub []string
			_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					sub = append(sub, path)
				}
				return nil
			})
			for i := len(sub) - 1; i >= 0; i-- { // deepest first
				_ = os.Remove(sub[i])
			}
		}
		return len(cgroupDirs(cgroupRoot)) == 0
	})
}

// lineRecorder sends a process's output to the test log and keeps it for match.
type lineRecorder struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lineRecorder) Write(p []byte) (int, error) {
	_, _ = (&testWriter{t: w.t}).Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// match returns re's first match in the output so far, line by line, with its groups.
func (w *lineRecorder) match(re *regexp.Regexp) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			return m
		}
	}
	return nil
}

// testWriter sends a process's output to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
