package nodestatus

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func healthyFigures() Figures {
	return Figures{
		CPUs: 4, MemoryTotal: 8 << 30, MemoryAvailable: 4 << 30,
		FSCapacity: 100 << 30, FSAvailable: 50 << 30, PIDMax: 4194304, PIDsInUse: 500,
		BootID: "boot", KernelVersion: "6.1.0", OSImage: "Debian", MachineID: "m", SystemUUID: "u",
	}
}

func testInfo() Info {
	return Info{NodeIP: "127.0.0.9", Hostname: "n1", KubeletPort: 10250, MaxPods: 110,
		Thresholds: DefaultThresholds(), KubeletVersion: "v1.2.3"}
}

func condition(st *corev1.NodeStatus, typ string) *corev1.NodeCondition {
	for _, c := range st.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return nil
}

func TestConditions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Figures, *Health)
		want   map[string]string
	}{
		{name: "healthy", mutate: func(*Figures, *Health) {},
			want: map[string]string{ConditionReady: "True", ConditionMemoryPressure: "False", ConditionDiskPressure: "False", ConditionPIDPressure: "False"}},
		{name: "memory below 100Mi", mutate: func(f *Figures, _ *Health) { f.MemoryAvailable = 99 << 20 },
			want: map[string]string{ConditionReady: "True", ConditionMemoryPressure: "True"}},
		{name: "memory at 100Mi", mutate: func(f *Figures, _ *Health) { f.MemoryAvailable = 100 << 20 },
			want: map[string]string{ConditionMemoryPressure: "False"}},
		{name: "nodefs below 10%", mutate: func(f *Figures, _ *Health) { f.FSAvailable = 9 << 30 },
			want: map[string]string{ConditionDiskPressure: "True"}},
		{name: "imagefs below 15%", mutate: func(f *Figures, _ *Health) { f.FSAvailable = 14 << 30 },
			want: map[string]string{ConditionDiskPressure: "True"}},
		{name: "pids below 10%", mutate: func(f *Figures, _ *Health) { f.PIDMax, f.PIDsInUse = 1000, 901 },
			want: map[string]string{ConditionPIDPressure: "True"}},
		{name: "runtime down", mutate: func(_ *Figures, h *Health) { h.RuntimeErr = errors.New("socket gone") },
			want: map[string]string{ConditionReady: "False"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, h := healthyFigures(), Health{RuntimeVersion: "process://1"}
			tt.mutate(&f, &h)
			st := Build(f, testInfo(), h)
			for typ, want := range tt.want {
				require.Equal(t, want, condition(st, typ).Status, typ)
			}
		})
	}
}

func TestCapacityAndAllocatable(t *testing.T) {
	info := testInfo()
	info.SystemReserved = resource.List{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("100Mi")}
	info.KubeReserved = resource.List{"cpu": resource.MustParse("200m"), "memory": resource.MustParse("200Mi")}
	st := Build(healthyFigures(), info, Health{})
	require.Equal(t, map[string]string{"cpu": "4", "memory": "8Gi", "ephemeral-storage": "100Gi", "pods": "110"}, st.Capacity)
	// memory: 8Gi - 100Mi - 200Mi - 100Mi (eviction); storage: 100Gi - 10%.
	require.Equal(t, "3700m", st.Allocatable["cpu"])
	mem := resource.MustParse(st.Allocatable["memory"])
	require.Equal(t, int64(8<<30-400<<20), mem.Value())
	eph := resource.MustParse(st.Allocatable["ephemeral-storage"])
	require.Equal(t, int64(100<<30-10<<30), eph.Value())
	require.Equal(t, "110", st.Allocatable["pods"])
	require.Equal(t, int32(10250), st.DaemonEndpoints.KubeletEndpoint.Port)
	require.Equal(t, "127.0.0.9", st.Addresses[0].Address)
	require.Equal(t, "InternalIP", st.Addresses[0].Type)
	require.Equal(t, "v1.2.3", st.NodeInfo.KubeletVersion)
	require.Equal(t, "boot", st.NodeInfo.BootId)
}

func TestMergeKeepsTransitionTimeUntilStatusChanges(t *testing.T) {
	t0, t1 := ts(1), ts(2)
	first := Build(healthyFigures(), testInfo(), Health{})
	Merge(nil, first, t0)
	second := Build(healthyFigures(), testInfo(), Health{})
	Merge(first, second, t1)
	require.False(t, Changed(first, second))
	ready := condition(second, ConditionReady)
	require.Equal(t, t0.AsTime(), ready.LastTransitionTime.AsTime())
	require.Equal(t, t1.AsTime(), ready.LastHeartbeatTime.AsTime())

	third := Build(healthyFigures(), testInfo(), Health{RuntimeErr: errors.New("down")})
	Merge(second, third, t1)
	require.True(t, Changed(second, third))
	require.Equal(t, t1.AsTime(), condition(third, ConditionReady).LastTransitionTime.AsTime())
}

func TestAdoptSetsOnlyTheDefaultLabels(t *testing.T) {
	existing := &corev1.Node{Metadata: &metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"kept": "yes", LabelHostname: "stale"}}}
	require.True(t, adopt(existing, "n1"))
	require.Equal(t, "n1", existing.Metadata.Labels[LabelHostname])
	require.Equal(t, "yes", existing.Metadata.Labels["kept"])
	require.False(t, adopt(existing, "n1"), "nothing more to change")
}
