package nodeinfo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

func podInfo(t *testing.T, b *fixture.PodBuilder) *nodeinfo.PodInfo {
	t.Helper()
	pi, err := nodeinfo.NewPodInfo(b.Obj())
	require.NoError(t, err)
	return pi
}

func TestNodeInfoAccounting(t *testing.T) {
	ni := nodeinfo.New()
	ni.SetNode(fixture.Node("n").Capacity("4", "8Gi", 110).Image(100, "nginx", "nginx:1.27").Obj())
	require.Equal(t, int64(4000), ni.Allocatable.MilliCPU)
	require.Equal(t, int64(110), ni.Allocatable.Pods)
	require.Equal(t, map[string]int64{"nginx:latest": 100, "nginx:1.27": 100}, ni.Images)

	a := podInfo(t, fixture.Pod("a").Req("1", "1Gi").HostPort(80, "TCP", "").HostPath("data", "/data/", false))
	b := podInfo(t, fixture.Pod("b").Req("500m", "").HostPort(80, "TCP", "").
		PodAntiAffinity(fixture.PodAffinityTerm("app", "b", "kubernetes.io/hostname")))
	ni.AddPod(a)
	ni.AddPod(b)
	require.Equal(t, int64(1500), ni.Requested.MilliCPU)
	require.Equal(t, int64(1<<30), ni.Requested.Memory)
	require.Equal(t, int64(1<<30)+nodeinfo.DefaultMemoryRequest, ni.NonZeroRequested.Memory)
	require.True(t, ni.UsedPorts.Conflicts(nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}))
	require.Equal(t, nodeinfo.HostPathCount{ReadWrite: 1}, ni.HostPaths["/data"], "trailing slashes do not matter")
	require.Len(t, ni.PodsWithAffinity, 1)
	require.Len(t, ni.PodsWithRequiredAntiAffinity, 1)

	clone := ni.Clone()
	require.True(t, ni.RemovePod(b.Key))
	require.False(t, ni.RemovePod(b.Key), "removing twice")
	require.Equal(t, int64(1000), ni.Requested.MilliCPU)
	require.True(t, ni.UsedPorts.Conflicts(nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}), "a still holds port 80")
	require.Empty(t, ni.PodsWithAffinity)

	require.True(t, ni.RemovePod(a.Key))
	require.Equal(t, nodeinfo.Resource{}, ni.Requested)
	require.False(t, ni.UsedPorts.Conflicts(nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}))
	require.Empty(t, ni.HostPaths)

	// The clone kept the state at the time it was taken.
	require.Len(t, clone.Pods, 2)
	require.Equal(t, int64(1500), clone.Requested.MilliCPU)
	require.Len(t, clone.PodsWithAffinity, 1)
}

func TestNodeInfoBadAllocatable(t *testing.T) {
	ni := nodeinfo.New()
	ni.SetNode(fixture.Node("n").Allocatable("cpu", "many").Obj())
	require.ErrorContains(t, ni.AllocatableErr, "node n allocatable: resource cpu")
}

func TestHostPortConflicts(t *testing.T) {
	tests := []struct {
		name  string
		used  []nodeinfo.HostPort
		check nodeinfo.HostPort
		want  bool
	}{
		{name: "free", check: nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}},
		{name: "same wildcard", used: []nodeinfo.HostPort{{IP: "0.0.0.0", Protocol: "TCP", Port: 80}},
			check: nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}, want: true},
		{name: "other protocol", used: []nodeinfo.HostPort{{IP: "0.0.0.0", Protocol: "UDP", Port: 80}},
			check: nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}},
		{name: "other port", used: []nodeinfo.HostPort{{IP: "0.0.0.0", Protocol: "TCP", Port: 81}},
			check: nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}},
		{name: "specific against wildcard", used: []nodeinfo.HostPort{{IP: "0.0.0.0", Protocol: "TCP", Port: 80}},
			check: nodeinfo.HostPort{IP: "10.0.0.1", Protocol: "TCP", Port: 80}, want: true},
		{name: "wildcard against specific", used: []nodeinfo.HostPort{{IP: "10.0.0.1", Protocol: "TCP", Port: 80}},
			check: nodeinfo.HostPort{IP: "0.0.0.0", Protocol: "TCP", Port: 80}, want: true},
		{name: "two specific addresses", used: []nodeinfo.HostPort{{IP: "10.0.0.1", Protocol: "TCP", Port: 80}},
			check: nodeinfo.HostPort{IP: "10.0.0.2", Protocol: "TCP", Port: 80}},
		{name: "same specific address", used: []nodeinfo.HostPort{{IP: "10.0.0.1", Protocol: "TCP", Port: 80}},
			check: nodeinfo.HostPort{IP: "10.0.0.1", Protocol: "TCP", Port: 80}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := nodeinfo.HostPortSet{}
			for _, p := range tt.used {
				s.Add(p)
			}
			require.Equal(t, tt.want, s.Conflicts(tt.check))
		})
	}
}

func TestSnapshotLists(t *testing.T) {
	nodes := []*fixture.NodeBuilder{fixture.Node("a"), fixture.Node("b"), fixture.Node("c").Image(1, "nginx")}
	snap, err := nodeinfo.NewSnapshot(
		[]*corev1.Node{nodes[0].Obj(), nodes[1].Obj(), nodes[2].Obj()},
		[]*corev1.Pod{
			fixture.Pod("x").Node("b").PodAffinity(fixture.PodAffinityTerm("app", "y", "zone")).Obj(),
			fixture.Pod("y").Node("c").PodAntiAffinity(fixture.PodAffinityTerm("app", "y", "zone")).Obj(),
			fixture.Pod("orphan").Node("gone").Obj(),
		})
	require.NoError(t, err)
	require.Equal(t, 3, snap.NumNodes())
	names := func(list []*nodeinfo.NodeInfo) []string {
		var out []string
		for _, ni := range list {
			out = append(out, ni.Name())
		}
		return out
	}
	require.Equal(t, []string{"b", "c"}, names(snap.HavePodsWithAffinityList))
	require.Equal(t, []string{"c"}, names(snap.HavePodsWithRequiredAntiAffinityList))
	require.Equal(t, map[string]int{"nginx:latest": 1}, snap.ImageNodes)
	_, ok := snap.Get("gone")
	require.False(t, ok)
}
