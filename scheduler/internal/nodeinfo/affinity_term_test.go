package nodeinfo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

func TestAffinityTermMatches(t *testing.T) {
	nsLabels := func(ns string) map[string]string {
		return map[string]string{"team": map[string]string{"prod": "a", "dev": "b"}[ns]}
	}
	web := fixture.Pod("w").Label("app", "web").Label("version", "1").Obj()
	webInProd := fixture.Pod("w").Namespace("prod").Label("app", "web").Obj()
	tests := []struct {
		name   string
		owner  *corev1.Pod
		term   *corev1.PodAffinityTerm
		target *corev1.Pod
		want   bool
	}{
		{name: "own namespace by default", owner: fixture.Pod("o").Obj(),
			term: fixture.PodAffinityTerm("app", "web", "zone"), target: web, want: true},
		{name: "other namespace not by default", owner: fixture.Pod("o").Obj(),
			term: fixture.PodAffinityTerm("app", "web", "zone"), target: webInProd},
		{name: "listed namespace", owner: fixture.Pod("o").Obj(),
			term: &corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				Namespaces: []string{"prod"}, TopologyKey: "zone"}, target: webInProd, want: true},
		{name: "empty namespace selector means all", owner: fixture.Pod("o").Obj(),
			term: &corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				NamespaceSelector: &metav1.LabelSelector{}, TopologyKey: "zone"}, target: webInProd, want: true},
		{name: "namespace selector by labels", owner: fixture.Pod("o").Obj(),
			term: &corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}, TopologyKey: "zone"},
			target: webInProd, want: true},
		{name: "labels differ", owner: fixture.Pod("o").Obj(),
			term: fixture.PodAffinityTerm("app", "db", "zone"), target: web},
		{name: "nil selector matches nothing", owner: fixture.Pod("o").Obj(),
			term: &corev1.PodAffinityTerm{TopologyKey: "zone"}, target: web},
		{name: "matchLabelKeys uses the owner's value", owner: fixture.Pod("o").Label("version", "2").Obj(),
			term: &corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				MatchLabelKeys: []string{"version"}, TopologyKey: "zone"}, target: web},
		{name: "mismatchLabelKeys excludes the owner's value", owner: fixture.Pod("o").Label("version", "2").Obj(),
			term: &corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
				MismatchLabelKeys: []string{"version"}, TopologyKey: "zone"}, target: web, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.owner.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: []*corev1.PodAffinityTerm{tt.term}}}
			pi, err := nodeinfo.NewPodInfo(tt.owner)
			require.NoError(t, err)
			require.Len(t, pi.RequiredAffinity, 1)
			require.Equal(t, tt.want, pi.RequiredAffinity[0].Matches(tt.target, nsLabels))
		})
	}
}

func TestAffinityTermErrors(t *testing.T) {
	pod := fixture.Pod("o").PodAntiAffinity(&corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchExpressions: []*metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}},
		TopologyKey:   "zone",
	}).PodAffinity(&corev1.PodAffinityTerm{LabelSelector: &metav1.LabelSelector{}}).Obj()
	pi, err := nodeinfo.NewPodInfo(pod)
	require.ErrorContains(t, err, "podAntiAffinity.required[0]: labelSelector")
	require.ErrorContains(t, err, "podAffinity.required[0]: topologyKey is required")
	require.Empty(t, pi.RequiredAntiAffinity)
}
