package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/etcdtest"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// logEnv is a handler on a registry backed by an in-process etcd, served on a loopback port, and a
// stand-in for a kubelet's /containerLogs endpoint on another.
type logEnv struct {
	t       *testing.T
	reg     *registry.Registry
	handler *Handler
	api     string
	kubelet *fakeKubelet
}

// fakeKubelet records the log requests it gets and answers them with serve.
type fakeKubelet struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   []*url.URL
	serve http.HandlerFunc
}

func (k *fakeKubelet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.got = append(k.got, r.URL)
	serve := k.serve
	k.mu.Unlock()
	serve(w, r)
}

// last returns the last request the stand-in got.
func (k *fakeKubelet) last(t *testing.T) *url.URL {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	require.NotEmpty(t, k.got, "the kubelet got no request")
	return k.got[len(k.got)-1]
}

func (k *fakeKubelet) set(fn http.HandlerFunc) {
	k.mu.Lock()
	k.serve = fn
	k.mu.Unlock()
}

func (k *fakeKubelet) port(t *testing.T) int32 {
	t.Helper()
	return int32(k.srv.Listener.Addr().(*net.TCPAddr).Port)
}

// lines answers every log request with the given body.
func lines(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, body)
	}
}

func startLogEnv(t *testing.T) *logEnv {
	t.Helper()
	e, _ := etcdtest.Start(t)
	cli := v3client.New(e.Server)
	t.Cleanup(func() { _ = cli.Close() })

	sch := scheme.Builtin()
	reg, err := registry.New(registry.Config{Scheme: sch, Storage: storage.New(cli, storage.NewCodec(sch), storage.Options{MaxValue: 1 << 20})})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- reg.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("registry run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	require.NoError(t, reg.WaitReady(wctx))
	require.NoError(t, reg.EnsureSystemNamespaces(wctx))

	h := New(reg, zap.NewNop(), Limits{})
	mux := http.NewServeMux()
	require.NoError(t, h.Install(mux))
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)

	k := &fakeKubelet{serve: lines("")}
	k.srv = httptest.NewServer(k)
	t.Cleanup(k.srv.Close)
	return &logEnv{t: t, reg: reg, handler: h, api: api.URL, kubelet: k}
}

func (e *logEnv) store(resource string) *registry.Store {
	e.t.Helper()
	s, err := e.reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: resource})
	require.NoError(e.t, err)
	return s
}

// node creates a Node whose kubelet is at the given addresses and port.
func (e *logEnv) node(name string, port int32, addrs ...*corev1.NodeAddress) {
	e.t.Helper()
	_, err := e.store("nodes").Create(context.Background(), "", &corev1.Node{
		Metadata: &metav1.ObjectMeta{Name: name},
		Status: &corev1.NodeStatus{
			Addresses:       addrs,
			DaemonEndpoints: &corev1.NodeDaemonEndpoints{KubeletEndpoint: &corev1.DaemonEndpoint{Port: port}},
		},
	}, registry.CreateOptions{})
	require.NoError(e.t, err)
}

// pod creates a pod in default on nodeName ("" leaves it unbound) with the named containers;
// names starting with "init-" become init containers.
func (e *logEnv) pod(name, nodeName string, containers ...string) {
	e.t.Helper()
	spec := &corev1.PodSpec{NodeName: nodeName}
	for _, c := range containers {
		ctr := &corev1.Container{Name: c, Image: "busybox"}
		if strings.HasPrefix(c, "init-") {
			spec.InitContainers = append(spec.InitContainers, ctr)
		} else {
			spec.Containers = append(spec.Containers, ctr)
		}
	}
	_, err := e.store("pods").Create(context.Background(), "default",
		&corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name}, Spec: spec}, registry.CreateOptions{})
	require.NoError(e.t, err)
}

// get sends GET path to the handler and returns the response with its body read.
func (e *logEnv) get(path string) (*http.Response, string) {
	e.t.Helper()
	return e.do(http.MethodGet, path)
}

func (e *logEnv) do(method, path string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api+path, nil)
	require.NoError(e.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, string(b)
}

const logPath = "/api/v1/namespaces/default/pods/"

// setupLogPods makes node n1 whose kubelet is the stand-in, and pods on it: one (container c), two
// (containers a and b), inits (a, b and init container init-x), and unbound (not scheduled).
func setupLogPods(t *testing.T) *logEnv {
	t.Helper()
	e := startLogEnv(t)
	e.node("n1", e.kubelet.port(t), &corev1.NodeAddress{Type: "ExternalIP", Address: "127.0.0.9"},
		&corev1.NodeAddress{Type: "InternalIP", Address: "127.0.0.1"})
	e.pod("one", "n1", "c")
	e.pod("two", "n1", "a", "b")
	e.pod("inits", "n1", "a", "b", "init-x")
	e.pod("unbound", "", "c")
	return e
}

// TestPodLogProxiesToTheKubelet checks the happy paths: the container is chosen as Kubernetes
// chooses it, the query reaches the kubelet as Kubernetes builds it, and the body comes back as
// text/plain.
func TestPodLogProxiesToTheKubelet(t *testing.T) {
	e := setupLogPods(t)
	e.kubelet.set(lines("line 1\nline 2\nline 3\n"))
	for _, tc := range []struct {
		name, path, wantPath, wantQuery string
	}{
		{"the only container", "one/log", "/containerLogs/default/one/c", ""},
		{"a named container", "two/log?container=b", "/containerLogs/default/two/b", ""},
		{"an init container", "inits/log?container=init-x", "/containerLogs/default/inits/init-x", ""},
		{"tailLines and the rest pass through", "one/log?tailLines=2&timestamps=true&previous=1&sinceSeconds=30&limitBytes=100&insecureSkipTLSVerifyBackend=true",
			"/containerLogs/default/one/c", "limitBytes=100&previous=true&sinceSeconds=30&tailLines=2&timestamps=true"},
		{"false booleans stay off", "one/log?follow=false&previous=0&timestamps=FALSE", "/containerLogs/default/one/c", ""},
		{"sinceTime passes through", "one/log?sinceTime=2024-05-01T10:00:00Z", "/containerLogs/default/one/c", "sinceTime=2024-05-01T10%3A00%3A00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.get(logPath + tc.path)
			require.Equal(t, http.StatusOK, resp.StatusCode, body)
			require.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
			require.Equal(t, "line 1\nline 2\nline 3\n", body)
			got := e.kubelet.last(t)
			require.Equal(t, tc.wantPath, got.Path)
			require.Equal(t, tc.wantQuery, got.RawQuery)
		})
	}

	t.Run("an unscheduled pod has an empty log, as in Kubernetes", func(t *testing.T) {
		resp, body := e.get(logPath + "unbound/log")
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		require.Equal(t, "", body)
	})
}

// TestPodLogFollowStreams checks that a followed log reaches the client as the kubelet writes it,
// before the kubelet ends the stream, and that the stream ends when the kubelet closes it.
func TestPodLogFollowStreams(t *testing.T) {
	e := setupLogPods(t)
	release := make(chan struct{})
	e.kubelet.set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("follow") != "true" {
			http.Error(w, "follow=true expected", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Second):
			return
		}
		_, _ = io.WriteString(w, "second\n")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.api+logPath+"one/log?follow=true", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rd := bufio.NewReader(resp.Body)
	l, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "first\n", l, "the first line must arrive while the kubelet still holds the stream open")
	close(release)
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	require.Equal(t, "second\n", string(rest))
}

// TestPodLogEndsWhenTheClientGoesAway checks that a client leaving a followed log ends the request
// to the kubelet.
func TestPodLogEndsWhenTheClientGoesAway(t *testing.T) {
	e := setupLogPods(t)
	started, ended := make(chan struct{}), make(chan struct{})
	e.kubelet.set(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
		w.(http.Flusher).Flush()
		close(started)
		<-r.Context().Done()
		close(ended)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.api+logPath+"one/log?follow=1", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	l, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "hello\n", l)
	<-started
	cancel()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the kubelet request did not end after the client went away")
	}
}

// TestPodLogErrors checks every refusal: the status code, the reason and Kubernetes' message.
func TestPodLogErrors(t *testing.T) {
	e := setupLogPods(t)
	e.kubelet.set(lines("x\n"))
	e.node("ghostless", 0)
	e.pod("orphan", "ghost", "c")
	e.pod("homeless", "ghostless", "c")
	closed := closedLoopbackPort(t)
	e.node("down", int32(closed), &corev1.NodeAddress{Type: "InternalIP", Address: "127.0.0.1"})
	e.pod("stranded", "down", "c")

	for _, tc := range []struct {
		name, method, path string
		code               int
		reason             string
		msg                []string
		field              string
	}{
		{"several containers and none named", "GET", "two/log", 400, "BadRequest",
			[]string{"a container name must be specified for pod two, choose one of: [a b]"}, ""},
		{"several containers and init containers", "GET", "inits/log", 400, "BadRequest",
			[]string{"a container name must be specified for pod inits, choose one of: [a b] or one of the init containers: [init-x]"}, ""},
		{"an unknown container", "GET", "two/log?container=nope", 400, "BadRequest",
			[]string{"container nope is not valid for pod two"}, ""},
		{"negative tailLines", "GET", "one/log?tailLines=-1", 422, "Invalid",
			[]string{`PodLogOptions "one" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`}, "tailLines"},
		{"limitBytes below 1", "GET", "one/log?limitBytes=0", 422, "Invalid",
			[]string{`PodLogOptions "one" is invalid: limitBytes: Invalid value: 0: must be greater than 0`}, "limitBytes"},
		{"sinceSeconds below 1", "GET", "one/log?sinceSeconds=0", 422, "Invalid",
			[]string{`PodLogOptions "one" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0`}, "sinceSeconds"},
		{"sinceSeconds and sinceTime", "GET", "one/log?sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z", 422, "Invalid",
			[]string{`PodLogOptions "one" is invalid: Forbidden: at most one of ` + "`sinceTime` or `sinceSeconds`" + ` may be specified`}, ""},
		{"tailLines not a number", "GET", "one/log?tailLines=abc", 400, "BadRequest",
			[]string{`invalid value "abc" for tailLines: must be an integer`}, ""},
		{"sinceTime not a time", "GET", "one/log?sinceTime=yesterday", 400, "BadRequest",
			[]string{`invalid value "yesterday" for sinceTime`}, ""},
		{"a missing pod", "GET", "nope/log", 404, "NotFound", []string{`pods "nope" not found`}, ""},
		{"a missing node", "GET", "orphan/log", 404, "NotFound", []string{`nodes "ghost" not found`}, ""},
		{"a node without addresses", "GET", "homeless/log", 503, "ServiceUnavailable",
			[]string{`no address to reach the kubelet of node "ghostless"`, "known addresses: []"}, ""},
		{"an unreachable kubelet", "GET", "stranded/log", 503, "ServiceUnavailable",
			[]string{`unable to reach the kubelet of node "down" at 127.0.0.1:` + strconv.Itoa(closed), "/containerLogs/default/stranded/c", "connection refused"}, ""},
		{"a write", "POST", "one/log", 405, "MethodNotAllowed", []string{`create is not supported on resources of kind "pods/log"`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(tc.method, logPath+tc.path)
			st := decodeStatus(t, body)
			require.Equal(t, tc.code, resp.StatusCode, body)
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			require.Equal(t, int32(tc.code), st.Code)
			require.Equal(t, tc.reason, st.Reason)
			require.Equal(t, "Failure", st.Status)
			for _, m := range tc.msg {
				require.Contains(t, st.Message, m)
			}
			if tc.field != "" {
				require.NotNil(t, st.Details)
				require.Len(t, st.Details.Causes, 1)
				require.Equal(t, tc.field, st.Details.Causes[0].Field)
			}
		})
	}
}

// TestPodLogKubeletErrors checks what the client gets when the kubelet answers with an error.
func TestPodLogKubeletErrors(t *testing.T) {
	e := setupLogPods(t)
	port := strconv.Itoa(int(e.kubelet.port(t)))
	t.Run("a plain 404 (a kubelet that serves no logs) is ServiceUnavailable naming node and endpoint", func(t *testing.T) {
		e.kubelet.set(http.NotFound)
		resp, body := e.get(logPath + "one/log")
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
		st := decodeStatus(t, body)
		require.Equal(t, "ServiceUnavailable", st.Reason)
		require.Equal(t, `the kubelet of node "n1" at 127.0.0.1:`+port+` answered 404 Not Found for /containerLogs/default/one/c: 404 page not found`, st.Message)
	})
	t.Run("a plain 400 carries the kubelet's words, as Kubernetes does", func(t *testing.T) {
		e.kubelet.set(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `container "c" in pod "one" is waiting to start: ContainerCreating`, http.StatusBadRequest)
		})
		resp, body := e.get(logPath + "one/log")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		st := decodeStatus(t, body)
		require.Equal(t, "BadRequest", st.Reason)
		require.Equal(t, `container "c" in pod "one" is waiting to start: ContainerCreating`, st.Message)
	})
	t.Run("a Status answer passes through", func(t *testing.T) {
		const kst = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden by the kubelet","reason":"Forbidden","code":403}`
		e.kubelet.set(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, kst)
		})
		resp, body := e.get(logPath + "one/log")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, body)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.JSONEq(t, kst, body)
	})
	t.Run("a redirect is not followed", func(t *testing.T) {
		e.kubelet.set(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		})
		resp, body := e.get(logPath + "one/log")
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
		require.Contains(t, decodeStatus(t, body).Message, "answered 302 Found")
	})
}

// TestKubeletEndpoint checks the choice of the kubelet's address and port from the Node.
func TestKubeletEndpoint(t *testing.T) {
	e := startLogEnv(t)
	addr := func(typ, a string) *corev1.NodeAddress { return &corev1.NodeAddress{Type: typ, Address: a} }
	for _, tc := range []struct {
		name  string
		port  int32
		addrs []*corev1.NodeAddress
		want  string
	}{
		{"InternalIP first", 10255, []*corev1.NodeAddress{addr("ExternalIP", "127.0.0.3"), addr("Hostname", "h"), addr("InternalIP", "127.0.0.2")}, "127.0.0.2:10255"},
		{"then Hostname", 10255, []*corev1.NodeAddress{addr("ExternalIP", "127.0.0.3"), addr("Hostname", "h")}, "h:10255"},
		{"then ExternalIP", 1, []*corev1.NodeAddress{addr("ExternalIP", "127.0.0.3")}, "127.0.0.3:1"},
		{"port 0 means 10250", 0, []*corev1.NodeAddress{addr("InternalIP", "127.0.0.2")}, "127.0.0.2:10250"},
		{"IPv6 is bracketed", 0, []*corev1.NodeAddress{addr("InternalIP", "::1")}, "[::1]:10250"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ToLower(strings.ReplaceAll(tc.name, " ", "-"))
			e.node(name, tc.port, tc.addrs...)
			got, err := e.handler.kubeletEndpoint(context.Background(), name)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestPodLogQueryDecoding checks the reading of the log query's booleans, as every boolean query
// parameter is read, and the kubelet query built from it.
func TestPodLogQueryDecoding(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"", ""},
		{"follow", ""},
		{"follow=true", "follow=true"},
		{"follow=1&timestamps=True", "follow=true&timestamps=true"},
		{"follow=0&previous=false&timestamps=False", ""},
		{"tailLines=0", "tailLines=0"},
		{"sinceTime=2024-05-01T12:00:00%2B02:00", "sinceTime=2024-05-01T12%3A00%3A00%2B02%3A00"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			o, err := parsePodLogOptions("p", q)
			require.NoError(t, err)
			require.Equal(t, tc.want, o.Query().Encode())
		})
	}
	for _, bad := range []string{"follow=yes", "previous=maybe", "timestamps=2"} {
		t.Run(bad, func(t *testing.T) {
			q, err := url.ParseQuery(bad)
			require.NoError(t, err)
			_, err = parsePodLogOptions("p", q)
			require.True(t, apierrors.IsBadRequest(err), "%v", err)
			param, value, _ := strings.Cut(bad, "=")
			require.ErrorContains(t, err, `invalid value "`+value+`" for `+param)
		})
	}
}

func decodeStatus(t *testing.T, body string) *status {
	t.Helper()
	var st status
	require.NoError(t, json.Unmarshal([]byte(body), &st), body)
	require.Equal(t, "Status", st.Kind, body)
	return &st
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
