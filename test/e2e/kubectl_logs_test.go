package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeletapi"
)

// TestKubectlLogs drives `kubectl logs` against bin/keelson-apiserver, which proxies pods/log to the
// kubelet of the pod's node. An HTTPS server of this test stands in for a kubelet's log endpoint
// (/containerLogs/<ns>/<pod>/<container>), with the node's serving certificate from the cluster's
// PKI and requiring the apiserver's client certificate: a Node object points at it through its
// InternalIP 127.0.0.1 and status.daemonEndpoints.kubeletEndpoint, and it checks the path and
// query the apiserver sends. Errors must print Kubernetes' messages.
func TestKubectlLogs(t *testing.T) {
	e := startKubectlEnv(t, "logs-node")
	k := startStandInKubelet(t, e.pki.servingTLS(t, "logs-node"))
	e.ok("create", "-f", e.file("node.yaml", nodeManifest("logs-node", k.port)))
	e.ok("create", "-f", e.file("down.yaml", nodeManifest("down-node", closedLoopbackPort(t))))
	e.ok("create", "-f", e.file("pods.yaml", strings.Join([]string{
		logPodManifest("one", "logs-node", "c"),
		logPodManifest("two", "logs-node", "a", "b"),
		logPodManifest("unbound", "", "c"),
		logPodManifest("stranded", "down-node", "c"),
	}, "---\n")))

	t.Run("logs of the only container", func(t *testing.T) {
		require.Equal(t, "one/c line 1\none/c line 2\none/c line 3\n", e.ok("logs", "one"))
		got := k.last(t)
		require.Equal(t, "/containerLogs/default/one/c", got.URL.Path)
		require.Equal(t, "", got.URL.RawQuery)
		// The type/name form reads the same pod.
		require.Equal(t, "one/c line 1\none/c line 2\none/c line 3\n", e.ok("logs", "pod/one"))
	})

	t.Run("--tail reaches the kubelet as tailLines", func(t *testing.T) {
		require.Equal(t, "one/c line 2\none/c line 3\n", e.ok("logs", "one", "--tail=2"))
		require.Equal(t, "tailLines=2", k.last(t).URL.RawQuery)
		require.Equal(t, "one/c line 1\none/c line 2\none/c line 3\n", e.ok("logs", "one", "--timestamps", "--limit-bytes=100"))
		require.Equal(t, "limitBytes=100&timestamps=true", k.last(t).URL.RawQuery)
	})

	t.Run("-c picks a container of a two-container pod", func(t *testing.T) {
		require.Equal(t, "two/b line 1\ntwo/b line 2\ntwo/b line 3\n", e.ok("logs", "two", "-c", "b"))
		require.Equal(t, "/containerLogs/default/two/b", k.last(t).URL.Path)
	})

	t.Run("no container given on a two-container pod", func(t *testing.T) {
		// kubectl 1.32 itself picks the first container and says so; the server, asked without a
		// container (as client-go and curl do), refuses with Kubernetes' message.
		r := e.run(nil, "logs", "two")
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, "two/a line 1\ntwo/a line 2\ntwo/a line 3\n", r.stdout)
		require.Equal(t, "Defaulted container \"a\" out of: a, b\n", r.stderr)
		require.Contains(t, e.fails("get", "--raw", "/api/v1/namespaces/default/pods/two/log"),
			"Error from server (BadRequest): a container name must be specified for pod two, choose one of: [a b]")
	})

	t.Run("an unknown container", func(t *testing.T) {
		require.Contains(t, e.fails("logs", "two", "-c", "nope"), "error: container nope is not valid for pod two")
		require.Contains(t, e.fails("get", "--raw", "/api/v1/namespaces/default/pods/two/log?container=nope"),
			"Error from server (BadRequest): container nope is not valid for pod two")
	})

	t.Run("bad options are refused naming the parameter", func(t *testing.T) {
		out := e.fails("get", "--raw", "/api/v1/namespaces/default/pods/one/log?tailLines=-1")
		require.Contains(t, out, `PodLogOptions "one" is invalid`)
		require.Contains(t, out, "tailLines: Invalid value: -1: must be greater than or equal to 0")
		out = e.fails("get", "--raw", "/api/v1/namespaces/default/pods/one/log?sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z")
		require.Contains(t, out, "at most one of `sinceTime` or `sinceSeconds` may be specified")
	})

	t.Run("-f streams as the kubelet writes", func(t *testing.T) {
		bg := e.start("logs", "one", "-f")
		// The stand-in holds the stream open after the first line until the test saw it arrive.
		require.Equal(t, "one/c line 1", bg.next(t))
		require.Equal(t, "follow=true", k.last(t).URL.RawQuery)
		k.release()
		require.Equal(t, "one/c line 2", bg.next(t))
		require.Equal(t, "one/c line 3", bg.next(t))
		// The kubelet closes the stream: kubectl ends by itself.
		r := bg.wait(t)
		require.Equal(t, 0, r.code, r.stderr)
	})

	t.Run("an unscheduled pod has an empty log, as in Kubernetes", func(t *testing.T) {
		r := e.run(nil, "logs", "unbound")
		require.Equal(t, 0, r.code, r.stderr)
		require.Equal(t, "", r.stdout)
	})

	t.Run("the kubelet cannot be reached", func(t *testing.T) {
		out := e.fails("logs", "stranded")
		require.Contains(t, out, `Error from server (ServiceUnavailable): unable to reach the kubelet of node "down-node" at 127.0.0.1:`)
		require.Contains(t, out, "connection refused")
	})

	t.Run("missing pod and missing node", func(t *testing.T) {
		// kubectl reads the pod first and words this error itself, as it does against Kubernetes.
		require.Contains(t, e.fails("logs", "nope"), `error: error from server (NotFound): pods "nope" not found in namespace "default"`)
		e.ok("create", "-f", e.file("ghost.yaml", logPodManifest("haunted", "ghost-node", "c")))
		require.Contains(t, e.fails("logs", "haunted"), `Error from server (NotFound): nodes "ghost-node" not found`)
	})
}

// nodeManifest is a Node whose kubelet is at 127.0.0.1:port.
func nodeManifest(name string, port int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Node
metadata: {name: %s}
status:
  addresses: [{type: InternalIP, address: 127.0.0.1}, {type: Hostname, address: %s}]
  daemonEndpoints: {kubeletEndpoint: {Port: %d}}
  conditions: [{type: Ready, status: "True"}]
`, name, name, port)
}

// logPodManifest is a pod in default bound to node ("" leaves it unscheduled) with the named
// containers.
func logPodManifest(name, node string, containers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n", name)
	if node != "" {
		fmt.Fprintf(&b, "  nodeName: %s\n", node)
	}
	b.WriteString("  containers:\n")
	for _, c := range containers {
		fmt.Fprintf(&b, "  - {name: %s, image: busybox}\n", c)
	}
	return b.String()
}

// standInKubelet is an HTTPS server on loopback standing in for a kubelet's log endpoint: GET
// /containerLogs/<ns>/<pod>/<container> answers three lines "<pod>/<container> line N", honours
// tailLines, and with follow=true holds the stream open after
// the first line until release is called (or 20 s pass), then writes the rest and closes it.
type standInKubelet struct {
	port    int
	mu      sync.Mutex
	got     []*http.Request
	gate    chan struct{}
	release func()
}

func startStandInKubelet(t *testing.T, serving *tls.Config) *standInKubelet {
	t.Helper()
	k := &standInKubelet{gate: make(chan struct{})}
	k.release = sync.OnceFunc(func() { close(k.gate) })
	srv := httptest.NewUnstartedServer(http.HandlerFunc(k.serve))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.Listener = ln
	srv.TLS = serving
	srv.StartTLS()
	t.Cleanup(func() {
		k.release()
		srv.Close()
	})
	k.port = ln.Addr().(*net.TCPAddr).Port
	return k
}

func (k *standInKubelet) serve(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.got = append(k.got, r)
	k.mu.Unlock()
	// The stand-in reads the request with the kubelet's own contract, so what the apiserver sends
	// must be what a kubelet accepts.
	ref, err := kubeletapi.ParseContainerLogsPath(r.URL.Path)
	if r.Method != http.MethodGet || err != nil || ref.Namespace != "default" {
		http.NotFound(w, r)
		return
	}
	opts, err := kubeletapi.ParseLogOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var lines []string
	for i := 1; i <= 3; i++ {
		lines = append(lines, fmt.Sprintf("%s/%s line %d\n", ref.Pod, ref.Container, i))
	}
	if opts.TailLines != nil {
		lines = lines[max(0, len(lines)-int(*opts.TailLines)):]
	}
	w.Header().Set("Content-Type", "text/plain")
	if !opts.Follow {
		_, _ = io.WriteString(w, strings.Join(lines, ""))
		return
	}
	for i, l := range lines {
		_, _ = io.WriteString(w, l)
		w.(http.Flusher).Flush()
		if i == 0 {
			select {
			case <-k.gate:
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Second):
				return
			}
		}
	}
}

// last returns the last request the stand-in got.
func (k *standInKubelet) last(t *testing.T) *http.Request {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	require.NotEmpty(t, k.got, "the stand-in kubelet got no request")
	return k.got[len(k.got)-1]
}

// closedLoopbackPort returns a loopback port nothing listens on.
func closedLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// bgKubectl is a kubectl running in the background: its stdout arrives line by line.
type bgKubectl struct {
	lines  chan string
	stderr *bytes.Buffer
	done   chan kubectlResult
	out    strings.Builder
}

// start runs kubectl with args in the background; it is killed, if still running, when the test
// ends, and in any case after 2 minutes.
func (e *kubectlEnv) start(args ...string) *bgKubectl {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, e.kubectl, append([]string{"--kubeconfig", e.kubeconfig,
		"--cache-dir", filepath.Join(e.dir, "cache")}, args...)...)
	cmd.Env = os.Environ()
	bg := &bgKubectl{lines: make(chan string, 256), stderr: &bytes.Buffer{}, done: make(chan kubectlResult, 1)}
	cmd.Stderr = bg.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(e.t, err)
	require.NoError(e.t, cmd.Start())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var all strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			bg.lines <- sc.Text()
		}
		close(bg.lines)
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		bg.done <- kubectlResult{stdout: all.String(), stderr: bg.stderr.String(), code: code}
	}()
	e.t.Cleanup(func() {
		cancel()
		<-finished
	})
	return bg
}

// next returns the next line kubectl printed, failing if none comes within 30 s.
func (b *bgKubectl) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-b.lines:
		require.True(t, ok, "kubectl ended; stderr: %s", b.stderr)
		b.out.WriteString(l + "\n")
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("kubectl printed nothing for 30s; so far: %q", b.out.String())
		return ""
	}
}

// waitFor reads lines until one contains want, failing after 30 s or when kubectl ends.
func (b *bgKubectl) waitFor(t *testing.T, want string) string {
	t.Helper()
	for {
		if l := b.next(t); strings.Contains(l, want) {
			return l
		}
	}
}

// wait reads the rest of the output and returns how kubectl exited, failing after 60 s.
func (b *bgKubectl) wait(t *testing.T) kubectlResult {
	t.Helper()
	for l := range b.lines {
		b.out.WriteString(l + "\n")
	}
	select {
	case r := <-b.done:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("kubectl did not exit")
		return kubectlResult{}
	}
}

// running reports whether kubectl has not exited yet.
func (b *bgKubectl) running() bool {
	select {
	case r := <-b.done:
		b.done <- r
		return false
	default:
		return true
	}
}
