package predicates_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

// TestPreFilterSkipsWhatAPodDoesNotAskFor checks which predicates sit a cycle out: a pod that is
// not pinned, has no node constraints and no inter-pod rules (and meets none) skips them.
func TestPreFilterSkipsWhatAPodDoesNotAskFor(t *testing.T) {
	nodes := []*corev1.Node{fixture.Node("a").Label("zone", "z").Obj()}
	antiWeb := fixture.Pod("guard").Node("a").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", "zone")).Obj()
	tests := []struct {
		name   string
		pred   algorithm.PreFilter
		pod    *corev1.Pod
		placed []*corev1.Pod
		skip   bool
	}{
		{name: "host name, not pinned", pred: predicates.HostName{}, pod: fixture.Pod("p").Obj(), skip: true},
		{name: "host name, pinned", pred: predicates.HostName{}, pod: fixture.Pod("p").RequiredNodeAffinity(fixture.NodeNameTerm("a")).Obj()},
		{name: "node selector, none", pred: predicates.NodeSelector{}, pod: fixture.Pod("p").Obj(), skip: true},
		{name: "node selector, set", pred: predicates.NodeSelector{}, pod: fixture.Pod("p").NodeSelector("zone", "z").Obj()},
		{name: "node selector, affinity", pred: predicates.NodeSelector{}, pod: fixture.Pod("p").RequiredNodeAffinity(fixture.Expr("zone", "Exists")).Obj()},
		{name: "inter-pod, nothing", pred: predicates.NewInterPodAffinity(nil), pod: fixture.Pod("p").Label("app", "db").Obj(),
			placed: []*corev1.Pod{antiWeb}, skip: true},
		{name: "inter-pod, a placed pod's anti-affinity selects the pod", pred: predicates.NewInterPodAffinity(nil),
			pod: fixture.Pod("p").Label("app", "web").Obj(), placed: []*corev1.Pod{antiWeb}},
		{name: "inter-pod, the pod's own rule", pred: predicates.NewInterPodAffinity(nil),
			pod: fixture.Pod("p").PodAntiAffinity(fixture.PodAffinityTerm("app", "x", "zone")).Obj()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pred.PreFilter(context.Background(), algorithm.NewCycleState(), fixture.Info(t, tt.pod), fixture.Snapshot(t, nodes, tt.placed))
			if tt.skip {
				require.ErrorIs(t, err, algorithm.ErrSkip)
			} else {
				require.NoError(t, err)
			}
		})
	}
}
