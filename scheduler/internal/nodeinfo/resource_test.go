package nodeinfo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

func TestParseResourceList(t *testing.T) {
	tests := []struct {
		name    string
		list    map[string]string
		want    nodeinfo.Resource
		wantErr string
	}{
		{name: "empty", list: nil, want: nodeinfo.Resource{}},
		{name: "cpu in cores and millicores", list: map[string]string{"cpu": "1.5"}, want: nodeinfo.Resource{MilliCPU: 1500}},
		{name: "cpu millicores", list: map[string]string{"cpu": "250m"}, want: nodeinfo.Resource{MilliCPU: 250}},
		{name: "memory binary", list: map[string]string{"memory": "1Gi"}, want: nodeinfo.Resource{Memory: 1 << 30}},
		{name: "memory decimal", list: map[string]string{"memory": "1G"}, want: nodeinfo.Resource{Memory: 1e9}},
		{name: "pods and storage", list: map[string]string{"pods": "110", "ephemeral-storage": "10Gi"},
			want: nodeinfo.Resource{Pods: 110, EphemeralStorage: 10 << 30}},
		{name: "extended", list: map[string]string{"example.com/gpu": "2"},
			want: nodeinfo.Resource{Scalar: map[string]int64{"example.com/gpu": 2}}},
		{name: "bad quantity names the resource", list: map[string]string{"cpu": "lots"}, wantErr: "resource cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nodeinfo.ParseResourceList(tt.list)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPodRequests(t *testing.T) {
	tests := []struct {
		name        string
		pod         *fixture.PodBuilder
		wantCPU     int64
		wantMem     int64
		nonZeroCPU  int64
		nonZeroMem  int64
		wantErrText string
	}{
		{name: "no requests count as zero, defaults for scoring", pod: fixture.Pod("p"),
			nonZeroCPU: nodeinfo.DefaultMilliCPURequest, nonZeroMem: nodeinfo.DefaultMemoryRequest},
		{name: "containers add up", pod: fixture.Pod("p").Req("100m", "64Mi").Container("b", "b:1", "200m", "64Mi"),
			wantCPU: 300, wantMem: 128 << 20, nonZeroCPU: 300, nonZeroMem: 128 << 20},
		{name: "a large init container dominates", pod: fixture.Pod("p").Req("100m", "64Mi").InitContainer("init", "2", "1Gi", false),
			wantCPU: 2000, wantMem: 1 << 30, nonZeroCPU: 2000, nonZeroMem: 1 << 30},
		{name: "a small init container does not", pod: fixture.Pod("p").Req("1", "1Gi").InitContainer("init", "100m", "64Mi", false),
			wantCPU: 1000, wantMem: 1 << 30, nonZeroCPU: 1000, nonZeroMem: 1 << 30},
		{name: "sidecars run beside the containers", pod: fixture.Pod("p").Req("1", "1Gi").InitContainer("proxy", "100m", "64Mi", true),
			wantCPU: 1100, wantMem: 1<<30 + 64<<20, nonZeroCPU: 1100, nonZeroMem: 1<<30 + 64<<20},
		{name: "sidecars run beside later init containers", pod: fixture.Pod("p").Req("100m", "64Mi").
			InitContainer("proxy", "500m", "64Mi", true).InitContainer("migrate", "2", "64Mi", false),
			wantCPU: 2500, wantMem: 128 << 20, nonZeroCPU: 2500, nonZeroMem: 128 << 20},
		{name: "missing memory gets the default for scoring only", pod: fixture.Pod("p").Req("100m", ""),
			wantCPU: 100, nonZeroCPU: 100, nonZeroMem: nodeinfo.DefaultMemoryRequest},
		{name: "bad quantity", pod: fixture.Pod("p").Req("x", ""), wantErrText: "containers[0] (app): resource cpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pi, err := nodeinfo.NewPodInfo(tt.pod.Obj())
			if tt.wantErrText != "" {
				require.ErrorContains(t, err, tt.wantErrText)
				require.NotNil(t, pi, "a PodInfo comes back even when part of the pod does not parse")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantCPU, pi.Requests.MilliCPU, "cpu")
			require.Equal(t, tt.wantMem, pi.Requests.Memory, "memory")
			require.Equal(t, tt.nonZeroCPU, pi.NonZero.MilliCPU, "non-zero cpu")
			require.Equal(t, tt.nonZeroMem, pi.NonZero.Memory, "non-zero memory")
		})
	}
}

func TestPodOverheadCounts(t *testing.T) {
	pod := fixture.Pod("p").Req("100m", "64Mi").Obj()
	pod.Spec.Overhead = map[string]string{"cpu": "50m", "memory": "16Mi"}
	pi, err := nodeinfo.NewPodInfo(pod)
	require.NoError(t, err)
	require.Equal(t, int64(150), pi.Requests.MilliCPU)
	require.Equal(t, int64(80<<20), pi.Requests.Memory)
}

func TestNormalizeImage(t *testing.T) {
	tests := map[string]string{
		"nginx":                         "nginx:latest",
		"nginx:1.27":                    "nginx:1.27",
		"registry.local:5000/app":       "registry.local:5000/app:latest",
		"registry.local:5000/app:2":     "registry.local:5000/app:2",
		"app@sha256:0123456789abcdef00": "app@sha256:0123456789abcdef00",
	}
	for in, want := range tests {
		require.Equal(t, want, nodeinfo.NormalizeImage(in), in)
	}
}
