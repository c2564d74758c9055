package pods

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestPostStartHook(t *testing.T) {
	tests := []struct {
		name        string
		exitCode    int32
		wantRestart bool
	}{
		{name: "succeeds", exitCode: 0},
		{name: "fails and kills the container", exitCode: 1, wantRestart: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			var runs atomic.Int32
			h.rt.onExec("app", func([]string) (*cri.ExecResult, error) {
				if runs.Add(1) == 1 {
					return &cri.ExecResult{ExitCode: tt.exitCode, Stderr: []byte("no config")}, nil
				}
				return &cri.ExecResult{}, nil
			})
			c := ctr("app")
			c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"setup"}}}}
			h.add(newPod("p", c))
			want := int32(0)
			if tt.wantRestart {
				want = 1
			}
			h.eventually("p", "running", func(st *corev1.PodStatus) bool {
				cs := containerStatus(st, "app")
				return cs.GetState().GetRunning() != nil && cs.GetRestartCount() == want
			})
			calls := h.rt.calls()
			start := slices.Index(calls, "start app")
			exec := slices.Index(calls, "exec app setup")
			require.Less(t, start, exec, "postStart runs after the start: %v", calls)
			if tt.wantRestart {
				require.Contains(t, h.events.all(), `FailedPostStartHook: PostStartHook failed: command "setup" exited with 1: no config`)
				require.Contains(t, calls, "stop app 30s")
			}
		})
	}
}

func TestHTTPPreStopHook(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/shutdown" {
			hits.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	_, portStr, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)

	h := newHarness(t, nil)
	c := ctr("app")
	c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HttpGet: &corev1.HTTPGetAction{
		Path: "/shutdown", Port: &metav1.IntOrString{IntVal: int32(port)},
	}}}
	h.add(newPod("p", c))
	h.eventually("p", "Running", phase(PhaseRunning))
	require.Zero(t, hits.Load())
	h.drop("p")
	require.Eventually(t, func() bool { return slices.Contains(h.rt.calls(), "removesandbox") }, 10*time.Second, 2*time.Millisecond)
	require.Equal(t, int32(1), hits.Load(), "the preStop hook was called once before the stop")
}
