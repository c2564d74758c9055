package predicates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm/predicates"
	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
)

func TestInterPodAffinity(t *testing.T) {
	const zone = "topology.kubernetes.io/zone"
	nodes := []*corev1.Node{
		fixture.Node("a1").Label(zone, "a").Obj(),
		fixture.Node("a2").Label(zone, "a").Obj(),
		fixture.Node("b1").Label(zone, "b").Obj(),
		fixture.Node("nozone").Obj(),
	}
	db := fixture.Pod("db").Label("app", "db").Node("a1").Obj()
	const (
		affinity = "pod affinity rules not satisfied"
		anti     = "pod anti-affinity rules not satisfied"
		existing = "an existing pod's anti-affinity rules forbid the pod here"
	)
	tests := []struct {
		name   string
		pod    *corev1.Pod
		placed []*corev1.Pod
		want   map[string]string
	}{
		{name: "no rules", pod: fixture.Pod("p").Obj(), placed: []*corev1.Pod{db},
			want: map[string]string{"a1": "", "a2": "", "b1": "", "nozone": ""}},
		{name: "affinity to the zone of db", pod: fixture.Pod("p").PodAffinity(fixture.PodAffinityTerm("app", "db", zone)).Obj(),
			placed: []*corev1.Pod{db}, want: map[string]string{"a1": "", "a2": "", "b1": affinity, "nozone": affinity}},
		{name: "affinity by hostname", pod: fixture.Pod("p").PodAffinity(fixture.PodAffinityTerm("app", "db", "kubernetes.io/hostname")).Obj(),
			placed: []*corev1.Pod{db}, want: map[string]string{"a1": "", "a2": affinity, "b1": affinity, "nozone": affinity}},
		{name: "affinity to nothing placed blocks a pod that does not match itself",
			pod:  fixture.Pod("p").PodAffinity(fixture.PodAffinityTerm("app", "cache", zone)).Obj(),
			want: map[string]string{"a1": affinity, "a2": affinity, "b1": affinity, "nozone": affinity}},
		{name: "the first pod of a group that wants to be together goes where the topology exists",
			pod:  fixture.Pod("p").Label("app", "cache").PodAffinity(fixture.PodAffinityTerm("app", "cache", zone)).Obj(),
			want: map[string]string{"a1": "", "a2": "", "b1": "", "nozone": affinity}},
		{name: "anti-affinity to db's zone", pod: fixture.Pod("p").PodAntiAffinity(fixture.PodAffinityTerm("app", "db", zone)).Obj(),
			placed: []*corev1.Pod{db}, want: map[string]string{"a1": anti, "a2": anti, "b1": "", "nozone": ""}},
		{name: "db's anti-affinity keeps the pod out of its zone",
			pod:    fixture.Pod("p").Label("app", "web").Obj(),
			placed: []*corev1.Pod{fixture.Pod("db").Label("app", "db").Node("a1").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", zone)).Obj()},
			want:   map[string]string{"a1": existing, "a2": existing, "b1": "", "nozone": ""}},
		{name: "anti-affinity in another namespace does not apply",
			pod:    fixture.Pod("p").Namespace("other").Label("app", "web").Obj(),
			placed: []*corev1.Pod{fixture.Pod("db").Label("app", "db").Node("a1").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", zone)).Obj()},
			want:   map[string]string{"a1": "", "a2": "", "b1": "", "nozone": ""}},
		{name: "spreading replicas one per node",
			pod: fixture.Pod("web-3").Label("app", "web").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", "kubernetes.io/hostname")).Obj(),
			placed: []*corev1.Pod{
				fixture.Pod("web-1").Label("app", "web").Node("a1").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", "kubernetes.io/hostname")).Obj(),
				fixture.Pod("web-2").Label("app", "web").Node("b1").PodAntiAffinity(fixture.PodAffinityTerm("app", "web", "kubernetes.io/hostname")).Obj(),
			},
			want: map[string]string{"a1": existing + ", " + anti, "a2": "", "b1": existing + ", " + anti, "nozone": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, filter(t, predicates.NewInterPodAffinity(nil), tt.pod, nodes, tt.placed...))
		})
	}
}
