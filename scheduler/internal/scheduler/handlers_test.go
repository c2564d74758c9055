package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestNodeChangesThatMayLetPodsFit(t *testing.T) {
	base := fixture.Node("n").Capacity("4", "8Gi", 110).Label("zone", "a").Taint("soft", "", "PreferNoSchedule").Obj()
	tests := []struct {
		name   string
		change func(*corev1.Node)
		want   bool
	}{
		{name: "heartbeat only", change: func(n *corev1.Node) {
			n.Status.Conditions[0].LastHeartbeatTime = timestamppb.Now()
		}},
		{name: "image list", change: func(n *corev1.Node) {
			n.Status.Images = []*corev1.ContainerImage{{Names: []string{"x"}}}
		}},
		{name: "cordoned", change: func(n *corev1.Node) { n.Spec.Unschedulable = true }, want: true},
		{name: "labels", change: func(n *corev1.Node) { n.Metadata.Labels["disk"] = "ssd" }, want: true},
		{name: "allocatable", change: func(n *corev1.Node) { n.Status.Allocatable["cpu"] = "8" }, want: true},
		{name: "taint removed", change: func(n *corev1.Node) { n.Spec.Taints = nil }, want: true},
		{name: "taint added", change: func(n *corev1.Node) {
			n.Spec.Taints = append(n.Spec.Taints, &corev1.Taint{Key: "k", Effect: "NoSchedule"})
		}, want: true},
		{name: "taint's time added only", change: func(n *corev1.Node) { n.Spec.Taints[0].TimeAdded = timestamppb.Now() }},
		{name: "became not ready", change: func(n *corev1.Node) { n.Status.Conditions[0].Status = "False" }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := proto.Clone(base).(*corev1.Node)
			tt.change(cur)
			require.Equal(t, tt.want, schedulingChanged(base, cur))
		})
	}
}

func TestWants(t *testing.T) {
	s := &Scheduler{cfg: Config{SchedulerName: DefaultSchedulerName}}
	custom := &Scheduler{cfg: Config{SchedulerName: "mine"}}
	gated := fixture.Pod("g").Obj()
	gated.Spec.SchedulingGates = []*corev1.PodSchedulingGate{{Name: "wait"}}
	unnamed := fixture.Pod("u").Obj()
	unnamed.Spec.SchedulerName = ""
	done := fixture.Pod("d").Obj()
	done.Status.Phase = "Succeeded"
	tests := []struct {
		name  string
		s     *Scheduler
		pod   *corev1.Pod
		wants bool
	}{
		{name: "pending, ours", s: s, pod: fixture.Pod("p").Obj(), wants: true},
		{name: "no scheduler named means the default", s: s, pod: unnamed, wants: true},
		{name: "another scheduler's", s: custom, pod: fixture.Pod("p").Obj()},
		{name: "bound", s: s, pod: fixture.Pod("p").Node("n").Obj()},
		{name: "being deleted", s: s, pod: fixture.Pod("p").Terminating().Obj()},
		{name: "gated", s: s, pod: gated},
		{name: "finished", s: s, pod: done},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.wants, tt.s.wants(tt.pod))
		})
	}
}

func TestWithCondition(t *testing.T) {
	clk := clock.NewFake(time.Unix(2000, 0))
	want := condition{reason: ReasonUnschedulable, message: "0/1 nodes are available: a: node is unschedulable"}
	pod := fixture.Pod("p").Obj()

	first, changed := withCondition(pod, want, clk)
	require.True(t, changed)
	c := first.Status.Conditions[0]
	require.Equal(t, "PodScheduled", c.GetType())
	require.Equal(t, "False", c.GetStatus())
	require.Equal(t, want.reason, c.GetReason())
	require.Equal(t, want.message, c.GetMessage())
	require.Empty(t, pod.Status.Conditions, "the informer's copy is not changed")

	_, changed = withCondition(first, want, clk)
	require.False(t, changed, "nothing to write when the condition says it already")

	clk.Step(time.Minute)
	second, changed := withCondition(first, condition{reason: ReasonUnschedulable, message: "0/2 nodes are available: ..."}, clk)
	require.True(t, changed)
	require.Len(t, second.Status.Conditions, 1)
	require.Equal(t, int64(2000), second.Status.Conditions[0].GetLastTransitionTime().AsTime().Unix(), "still False: the transition time stays")
	require.Equal(t, int64(2060), second.Status.Conditions[0].GetLastProbeTime().AsTime().Unix())
}
