package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/nodestatus"
	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
	"github.com/keelson-dev/keelson/pkg/kubeletapi"
	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestServeHealthThenStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Address, cfg.Port, cfg.HealthzPort = "127.0.0.1", 0, 0
	cfg.NodeIP = "127.0.0.1"
	cfg.APIServers = []string{closedAddr(t)}
	cfg.HostnameOverride = "Node-1"
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, "node-1", srv.NodeName())
	require.Nil(t, srv.Addr(), "New must not listen")

	base, stop := healthztest.Start(t, srv)
	healthztest.RequireHealthy(t, base)
	code, body := healthztest.Get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "process_start_time_seconds")

	require.NoError(t, stop())
}

// closedAddr returns a loopback address nothing listens on: an apiserver that is down.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// fakeWorkers records the desired sets and serves a fixed log line.
type fakeWorkers struct {
	mu   sync.Mutex
	sets [][]*corev1.Pod
}

func (f *fakeWorkers) SetPods(pods []*corev1.Pod) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets = append(f.sets, pods)
}

func (f *fakeWorkers) last() []*corev1.Pod {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sets) == 0 {
		return nil
	}
	return f.sets[len(f.sets)-1]
}

func (f *fakeWorkers) ContainerLogs(_ context.Context, ref kubeletapi.ContainerRef, _ *kubeletapi.LogOptions, w io.Writer) error {
	_, err := io.WriteString(w, "log of "+ref.String()+"\n")
	return err
}

func (f *fakeWorkers) Version(context.Context) (cri.VersionInfo, error) {
	return cri.VersionInfo{RuntimeName: "fake", RuntimeVersion: "1"}, nil
}

// TestStaticPodsReachThePodWorkersWithoutAnAPIServer posts a manifest to a kubelet whose apiserver
// is down: the pod workers get the static pod and serve its logs through the kubelet API.
func TestStaticPodsReachThePodWorkersWithoutAnAPIServer(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Address, cfg.Port, cfg.HealthzPort = "127.0.0.1", 0, 0
	cfg.NodeIP = "127.0.0.1"
	cfg.APIServers = []string{closedAddr(t)}
	cfg.HostnameOverride = "n1"
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	workers := &fakeWorkers{}
	srv.UsePodWorkers(workers, workers)
	_, stop := healthztest.Start(t, srv)
	defer func() { require.NoError(t, stop()) }()
	select {
	case <-srv.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the kubelet API never got ready")
	}
	require.NotNil(t, srv.APIAddr(), "ready means listening")
	api := "http://" + srv.APIAddr().String()

	resp, err := http.Post(api+"/manifests", "application/yaml", strings.NewReader( //nolint:noctx // loopback test server
		"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: busybox}]\n"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Eventually(t, func() bool {
		got := workers.last()
		return len(got) == 1 && got[0].Metadata.Name == "web-n1" && got[0].Spec.NodeName == "n1"
	}, 10*time.Second, 5*time.Millisecond, "the pod workers get the static pod")
	require.Len(t, srv.DesiredPods("n1"), 1)

	code, body := healthztest.Get(t, api+"/containerLogs/default/web-n1/app")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "log of default/web-n1/app\n", body)
}

func TestNodeNameDefaultsToHostname(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	srv, err := New(DefaultConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, strings.ToLower(host), srv.NodeName())
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "address", mutate: func(c *Config) { c.Address = "" }, wantErr: "--address"},
		{name: "healthz port", mutate: func(c *Config) { c.HealthzPort = -1 }, wantErr: "--healthz-port"},
		{name: "node ip", mutate: func(c *Config) { c.NodeIP = "nope" }, wantErr: "--node-ip"},
		{name: "taint", mutate: func(c *Config) { c.RegisterWithTaints = []string{"a=b:Sometimes"} }, wantErr: "--register-with-taints"},
		{name: "label", mutate: func(c *Config) { c.NodeLabels = []string{"novalue"} }, wantErr: "--node-labels"},
		{name: "reserved", mutate: func(c *Config) { c.SystemReserved = []string{"cpu=lots"} }, wantErr: "--system-reserved"},
		{name: "header", mutate: func(c *Config) { c.ManifestURLHeader = []string{"nocolon"} }, wantErr: "--manifest-url-header"},
		{name: "port", mutate: func(c *Config) { c.Port = -1 }, wantErr: "--port"},
		{name: "apiserver", mutate: func(c *Config) { c.APIServers = []string{"nohost"} }, wantErr: "--apiserver"},
		{name: "node name", mutate: func(c *Config) { c.HostnameOverride = " " }, wantErr: "--hostname-override"},
		{name: "bootstrap kubeconfig is the kubeconfig", mutate: func(c *Config) {
			c.Kubeconfig, c.Bootstrap.BootstrapKubeconfig = "/etc/keelson/kubelet.conf", "/etc/keelson/./kubelet.conf"
		}, wantErr: "--bootstrap-kubeconfig and --kubeconfig: both name /etc/keelson/kubelet.conf"},
		{name: "shutdown periods", mutate: func(c *Config) {
			c.ShutdownGracePeriod, c.ShutdownGracePeriodCriticalPods = 10*time.Second, 20*time.Second
		}, wantErr: "--shutdown-grace-period-critical-pods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mutate(&cfg)
			_, err := New(cfg, zaptest.NewLogger(t))
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// TestNodeAllocatableForResourceFieldRef: the allocatable a container without limits reads through
// resourceFieldRef is the node's, as its status reports it: capacity minus what is reserved and the
// hard eviction threshold.
func TestNodeAllocatableForResourceFieldRef(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SystemReserved = []string{"cpu=500m", "memory=1Gi"}
	srv, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	got := srv.nodeAllocatable(nodestatus.Fixed{CPUs: 4, MemoryTotal: 16 << 30, MemoryAvailable: 12 << 30, FSCapacity: 100 << 30, FSAvailable: 80 << 30}, "127.0.0.1")
	cpu, err := resource.Parse(got["cpu"])
	require.NoError(t, err)
	require.Equal(t, int64(3500), cpu.MilliValue())
	mem, err := resource.Parse(got["memory"])
	require.NoError(t, err)
	require.Equal(t, int64(16<<30-1<<30-100<<20), mem.Value())
	require.Equal(t, "110", got["pods"])
}
