package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// fakeLogs serves one container's log and records the options it was asked with.
type fakeLogs struct {
	mu   sync.Mutex
	asks []string
}

func (f *fakeLogs) ContainerLogs(_ context.Context, ref kubeletapi.ContainerRef, opts *kubeletapi.LogOptions, w io.Writer) error {
	f.mu.Lock()
	f.asks = append(f.asks, fmt.Sprintf("%s tail=%v", ref, opts.TailLines != nil))
	f.mu.Unlock()
	if opts.Previous {
		return fmt.Errorf("previous instance: %w", cri.ErrNotFound)
	}
	_, err := io.WriteString(w, "hello from "+ref.Container+"\n")
	return err
}

type reports struct {
	mu   sync.Mutex
	errs []string
}

func (r *reports) BadManifest(origin string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, origin+": "+err.Error())
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a test against a loopback server
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body)) //nolint:noctx // a test against a loopback server
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestKubeletAPI(t *testing.T) {
	lg := zaptest.NewLogger(t)
	merger := podsource.NewMerger(nil, nil, lg)
	posted := podsource.NewPosted("n1", scheme.Builtin(), merger, clock.NewFake(time.Now()))
	reg := healthz.NewRegistry()
	running := prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubelet_running_pods", Help: "Pods with a ready sandbox."})
	require.NoError(t, reg.Register(running))
	running.Set(3)
	logs, rep := &fakeLogs{}, &reports{}
	h, err := NewHandler(Config{NodeName: "n1", Pods: merger, Logs: logs, Manifests: posted, Report: rep,
		Metrics: reg, Scheme: scheme.Builtin(), Logger: lg})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	code, body := do(t, http.MethodPost, srv.URL+"/manifests",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: busybox}]\n")
	require.Equal(t, http.StatusCreated, code, body)
	require.Contains(t, body, `"name":"web-n1"`)

	code, body = do(t, http.MethodPost, srv.URL+"/manifests", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containerz: []}\n")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, `unknown field "spec.containerz"`)
	require.Len(t, rep.errs, 1)

	code, body = get(t, srv.URL+"/pods")
	require.Equal(t, http.StatusOK, code)
	var list struct {
		Kind  string
		Items []struct {
			Metadata struct{ Name, Namespace string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list), body)
	require.Equal(t, "PodList", list.Kind)
	require.Len(t, list.Items, 1)
	require.Equal(t, "web-n1", list.Items[0].Metadata.Name)

	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/containerLogs/default/web-n1/app?tailLines=5", http.StatusOK, "hello from app"},
		{"/containerLogs/default/nope/app", http.StatusNotFound, "pod default/nope not found on node n1"},
		{"/containerLogs/default/web-n1/nope", http.StatusNotFound, "container nope not found in pod default/web-n1"},
		{"/containerLogs/default/web-n1/app?tailLines=ten", http.StatusBadRequest, "tailLines"},
		{"/containerLogs/default/web-n1/app?previous=true", http.StatusNotFound, "previous instance"},
		{"/containerLogs/default/web-n1", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := get(t, srv.URL+tt.path)
			require.Equal(t, tt.wantCode, code, body)
			require.Contains(t, body, tt.wantBody)
		})
	}
	require.Contains(t, logs.asks, "default/web-n1/app tail=true")

	code, body = get(t, srv.URL+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "kubelet_running_pods 3")
	code, _ = get(t, srv.URL+"/healthz")
	require.Equal(t, http.StatusOK, code)

	code, _ = do(t, http.MethodDelete, srv.URL+"/manifests/default/web-n1", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = do(t, http.MethodDelete, srv.URL+"/manifests/default/web-n1", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Empty(t, merger.Pods())
}
