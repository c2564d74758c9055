package hollow_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/kubelet/internal/runtime/hollow"
	"github.com/keelson-dev/keelson/pkg/clock"
)

func TestContainerLife(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		step        time.Duration
		stop        bool
		want        cri.ContainerState
		wantCode    int32
		wantReason  string
	}{
		{name: "runs for ever", step: time.Hour, want: cri.ContainerRunning},
		{name: "runs until its duration", annotations: map[string]string{hollow.HollowRunDuration: "5s"}, step: 4 * time.Second, want: cri.ContainerRunning},
		{name: "exits 0 after its duration", annotations: map[string]string{hollow.HollowRunDuration: "5s"}, step: 5 * time.Second, want: cri.ContainerExited, wantReason: cri.ReasonCompleted},
		{name: "stopped", stop: true, want: cri.ContainerExited, wantCode: 137, wantReason: cri.ReasonError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewFake(time.Unix(1000, 0))
			r := hollow.New(clk)
			sbCfg := &cri.PodSandboxConfig{
				Metadata: cri.PodSandboxMetadata{Name: "p", Namespace: "ns", UID: "u"}, LogDirectory: "/logs/ns_p_u",
				Labels: map[string]string{cri.LabelPodUID: "u"}, Annotations: tt.annotations,
			}
			sb, err := r.RunPodSandbox(ctx, sbCfg)
			require.NoError(t, err)
			id, err := r.CreateContainer(ctx, sb, &cri.ContainerConfig{
				Metadata: cri.ContainerMetadata{Name: "c"}, Image: "img", LogPath: "c/0.log",
				Labels: map[string]string{cri.LabelPodUID: "u", cri.LabelContainer: "c"},
			}, sbCfg)
			require.NoError(t, err)
			require.NoError(t, r.StartContainer(ctx, id))
			clk.Step(tt.step)
			if tt.stop {
				require.NoError(t, r.StopContainer(ctx, id, time.Minute))
			}
			st, err := r.ContainerStatus(ctx, id)
			require.NoError(t, err)
			require.Equal(t, tt.want, st.State)
			require.Equal(t, tt.wantCode, st.ExitCode)
			require.Equal(t, tt.wantReason, st.Reason)
			require.Equal(t, "/logs/ns_p_u/c/0.log", st.LogPath)
			list, err := r.ListContainers(ctx, &cri.ContainerFilter{LabelSelector: map[string]string{cri.LabelPodUID: "u"}})
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, tt.want, list[0].State)

			res, err := r.ExecSync(ctx, id, []string{"true"}, time.Second)
			if tt.want == cri.ContainerRunning {
				require.NoError(t, err)
				require.Zero(t, res.ExitCode)
			} else {
				require.Error(t, err)
			}

			require.NoError(t, r.StopPodSandbox(ctx, sb))
			require.NoError(t, r.RemovePodSandbox(ctx, sb))
			_, err = r.ContainerStatus(ctx, id)
			require.ErrorIs(t, err, cri.ErrNotFound)
		})
	}
}

func TestBadDurationIsAConfigError(t *testing.T) {
	ctx := context.Background()
	r := hollow.New(clock.NewFake(time.Unix(0, 0)))
	cfg := &cri.PodSandboxConfig{Annotations: map[string]string{hollow.HollowRunDuration: "soon"}}
	sb, err := r.RunPodSandbox(ctx, cfg)
	require.NoError(t, err)
	_, err = r.CreateContainer(ctx, sb, &cri.ContainerConfig{Metadata: cri.ContainerMetadata{Name: "c"}}, cfg)
	require.ErrorContains(t, err, hollow.HollowRunDuration)
}
