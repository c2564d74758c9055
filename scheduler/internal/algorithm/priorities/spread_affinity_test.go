package priorities_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/priorities"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestSelectorSpread(t *testing.T) {
	web := &corev1.Service{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	rs := &appsv1.ReplicaSet{Metadata: &metav1.ObjectMeta{Name: "api", Namespace: "default"},
		Spec: &appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}}}}
	listers := algorithm.Listers{
		Services:    func(string) []*corev1.Service { return []*corev1.Service{web} },
		ReplicaSets: func(string) []*appsv1.ReplicaSet { return []*appsv1.ReplicaSet{rs} },
	}
	nodes := []*corev1.Node{fixture.Node("a").Obj(), fixture.Node("b").Obj(), fixture.Node("c").Obj()}
	placed := []*corev1.Pod{
		fixture.Pod("w1").Label("app", "web").Node("a").Obj(),
		fixture.Pod("w2").Label("app", "web").Node("a").Obj(),
		fixture.Pod("w3").Label("app", "web").Node("b").Obj(),
		fixture.Pod("x1").Label("app", "api").Node("c").Obj(),
		fixture.Pod("w-other-ns").Namespace("other").Label("app", "web").Node("c").Obj(),
		fixture.Pod("w-leaving").Label("app", "web").Node("c").Terminating().Obj(),
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want map[string]int64
	}{
		{name: "service peers", pod: fixture.Pod("w4").Label("app", "web").Obj(), want: map[string]int64{"a": 0, "b": 50, "c": 100}},
		{name: "replica set peers", pod: fixture.Pod("x2").Label("app", "api").Obj(), want: map[string]int64{"a": 100, "b": 100, "c": 0}},
		{name: "selected by nothing: skipped, every node alike", pod: fixture.Pod("z").Label("app", "batch").Obj(), want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, score(t, priorities.NewSelectorSpread(listers), tt.pod, nodes, placed...))
		})
	}
}

func TestSelectorSpreadByZone(t *testing.T) {
	svc := &corev1.Service{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: &corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}}
	listers := algorithm.Listers{Services: func(string) []*corev1.Service { return []*corev1.Service{svc} }}
	nodes := []*corev1.Node{
		fixture.Node("a1").Label(priorities.LabelZone, "a").Obj(),
		fixture.Node("a2").Label(priorities.LabelZone, "a").Obj(),
		fixture.Node("b1").Label(priorities.LabelZone, "b").Obj(),
	}
	placed := []*corev1.Pod{fixture.Pod("w1").Label("app", "web").Node("a1").Obj()}
	got := score(t, priorities.NewSelectorSpread(listers), fixture.Pod("w2").Label("app", "web").Obj(), nodes, placed...)
	// a2 is empty but shares zone a with w1: the zone counts two thirds.
	require.Equal(t, map[string]int64{"a1": 0, "a2": 33, "b1": 100}, got)
}

func TestNodeAffinityPriority(t *testing.T) {
	nodes := []*corev1.Node{
		fixture.Node("ssd-z1").Label("disk", "ssd").Label("zone", "z1").Obj(),
		fixture.Node("ssd").Label("disk", "ssd").Obj(),
		fixture.Node("plain").Obj(),
	}
	pod := fixture.Pod("p").PreferredNodeAffinity(3, fixture.Expr("disk", "In", "ssd")).PreferredNodeAffinity(1, fixture.Expr("zone", "Exists")).Obj()
	require.Equal(t, map[string]int64{"ssd-z1": 100, "ssd": 75, "plain": 0}, score(t, priorities.NodeAffinity{}, pod, nodes))
	require.Nil(t, score(t, priorities.NodeAffinity{}, fixture.Pod("q").Obj(), nodes), "no preferences: skipped")
}

func TestTaintTolerationPriority(t *testing.T) {
	nodes := []*corev1.Node{
		fixture.Node("clean").Obj(),
		fixture.Node("spot").Taint("spot", "", "PreferNoSchedule").Obj(),
		fixture.Node("spot-old").Taint("spot", "", "PreferNoSchedule").Taint("old", "", "PreferNoSchedule").Taint("hard", "", "NoSchedule").Obj(),
	}
	require.Equal(t, map[string]int64{"clean": 100, "spot": 50, "spot-old": 0}, score(t, priorities.TaintToleration{}, fixture.Pod("p").Obj(), nodes))
	tolerant := fixture.Pod("q").Toleration("spot", "Exists", "", "PreferNoSchedule").Obj()
	require.Equal(t, map[string]int64{"clean": 100, "spot": 100, "spot-old": 0}, score(t, priorities.TaintToleration{}, tolerant, nodes))
	noSchedOnly := fixture.Pod("r").Toleration("spot", "Exists", "", "NoSchedule").Obj()
	require.Equal(t, map[string]int64{"clean": 100, "spot": 50, "spot-old": 0}, score(t, priorities.TaintToleration{}, noSchedOnly, nodes),
		"a toleration of another effect does not count")
}

func TestImageLocality(t *testing.T) {
	const mb = 1024 * 1024
	nodes := []*corev1.Node{
		fixture.Node("big").Image(500*mb, "registry.local/app:1").Obj(),
		fixture.Node("small").Image(10*mb, "registry.local/app:1").Obj(),
		fixture.Node("none").Obj(),
		fixture.Node("other").Image(900*mb, "registry.local/db:1").Obj(),
	}
	pod := fixture.Pod("p").Image("registry.local/app:1").Obj()
	got := score(t, priorities.ImageLocality{}, pod, nodes)
	// big: 500MB scaled by spread 2/4 = 250MB; (250 - 23) / (1000 - 23) × 100 = 23.
	require.Equal(t, map[string]int64{"big": 23, "small": 0, "none": 0, "other": 0}, got)
}

func TestInterPodAffinityPriority(t *testing.T) {
	const zone = priorities.LabelZone
	nodes := []*corev1.Node{
		fixture.Node("a1").Label(zone, "a").Obj(),
		fixture.Node("b1").Label(zone, "b").Obj(),
		fixture.Node("c1").Label(zone, "c").Obj(),
	}
	placed := []*corev1.Pod{
		fixture.Pod("cache").Label("app", "cache").Node("a1").Obj(),
		fixture.Pod("batch").Label("app", "batch").Node("b1").Obj(),
	}
	tests := []struct {
		name   string
		pod    *corev1.Pod
		placed []*corev1.Pod
		want   map[string]int64
	}{
		{name: "prefers the cache's zone", pod: fixture.Pod("web").PreferredPodAffinity(10, fixture.PodAffinityTerm("app", "cache", zone)).Obj(),
			placed: placed, want: map[string]int64{"a1": 100, "b1": 0, "c1": 0}},
		{name: "avoids the batch zone", pod: fixture.Pod("web").PreferredPodAntiAffinity(10, fixture.PodAffinityTerm("app", "batch", zone)).Obj(),
			placed: placed, want: map[string]int64{"a1": 100, "b1": 0, "c1": 100}},
		{name: "both", pod: fixture.Pod("web").PreferredPodAffinity(5, fixture.PodAffinityTerm("app", "cache", zone)).
			PreferredPodAntiAffinity(10, fixture.PodAffinityTerm("app", "batch", zone)).Obj(),
			placed: placed, want: map[string]int64{"a1": 100, "b1": 0, "c1": 66}},
		{name: "a placed pod's preference draws the pod", pod: fixture.Pod("web").Label("app", "web").Obj(),
			placed: []*corev1.Pod{fixture.Pod("cache").Node("b1").PreferredPodAffinity(10, fixture.PodAffinityTerm("app", "web", zone)).Obj()},
			want:   map[string]int64{"a1": 0, "b1": 100, "c1": 0}},
		{name: "a placed pod's required affinity counts too", pod: fixture.Pod("web").Label("app", "web").Obj(),
			placed: []*corev1.Pod{fixture.Pod("sidecar").Node("c1").PodAffinity(fixture.PodAffinityTerm("app", "web", zone)).Obj()},
			want:   map[string]int64{"a1": 0, "b1": 0, "c1": 100}},
		{name: "no preferences anywhere: skipped", pod: fixture.Pod("web").Obj(), placed: placed, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, score(t, priorities.NewInterPodAffinity(nil), tt.pod, nodes, tt.placed...))
		})
	}
}
