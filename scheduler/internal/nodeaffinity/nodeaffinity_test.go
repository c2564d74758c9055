package nodeaffinity_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/fixture"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeaffinity"
)

func TestTermMatches(t *testing.T) {
	node := fixture.Node("node-a").Label("disk", "ssd").Label("cores", "8").Obj()
	tests := []struct {
		name string
		term *corev1.NodeSelectorTerm
		want bool
	}{
		{name: "In", term: fixture.Expr("disk", "In", "ssd", "nvme"), want: true},
		{name: "In misses", term: fixture.Expr("disk", "In", "hdd")},
		{name: "NotIn", term: fixture.Expr("disk", "NotIn", "hdd"), want: true},
		{name: "NotIn holds when the label is absent", term: fixture.Expr("gpu", "NotIn", "yes"), want: true},
		{name: "Exists", term: fixture.Expr("disk", "Exists"), want: true},
		{name: "DoesNotExist", term: fixture.Expr("gpu", "DoesNotExist"), want: true},
		{name: "DoesNotExist misses", term: fixture.Expr("disk", "DoesNotExist")},
		{name: "Gt", term: fixture.Expr("cores", "Gt", "4"), want: true},
		{name: "Lt", term: fixture.Expr("cores", "Lt", "4")},
		{name: "metadata.name In", term: fixture.NodeNameTerm("node-a", "node-b"), want: true},
		{name: "metadata.name In misses", term: fixture.NodeNameTerm("node-b")},
		{name: "metadata.name NotIn", term: &corev1.NodeSelectorTerm{MatchFields: []*corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: "NotIn", Values: []string{"node-b"}}}}, want: true},
		{name: "all requirements must hold", term: &corev1.NodeSelectorTerm{MatchExpressions: []*corev1.NodeSelectorRequirement{
			{Key: "disk", Operator: "In", Values: []string{"ssd"}}, {Key: "gpu", Operator: "Exists"}}}},
		{name: "an empty term matches nothing", term: &corev1.NodeSelectorTerm{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, err := nodeaffinity.CompileTerm(tt.term)
			require.NoError(t, err)
			require.Equal(t, tt.want, term.Matches(node))
		})
	}
}

func TestCompileTermErrors(t *testing.T) {
	tests := []struct {
		name string
		term *corev1.NodeSelectorTerm
		want string
	}{
		{name: "unknown operator", term: fixture.Expr("disk", "Near", "ssd"), want: `"Near" is not a valid node selector operator`},
		{name: "Gt needs an integer", term: fixture.Expr("cores", "Gt", "many"), want: "matchExpressions[0]"},
		{name: "unsupported field", term: &corev1.NodeSelectorTerm{MatchFields: []*corev1.NodeSelectorRequirement{
			{Key: "spec.podCIDR", Operator: "In", Values: []string{"x"}}}}, want: `field "spec.podCIDR" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := nodeaffinity.CompileTerm(tt.term)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRequired(t *testing.T) {
	ssd := fixture.Node("a").Label("disk", "ssd").Label("zone", "z1").Obj()
	hdd := fixture.Node("b").Label("disk", "hdd").Label("zone", "z2").Obj()
	tests := []struct {
		name            string
		pod             *corev1.Pod
		selectorA, affA bool
		selectorB, affB bool
		pinned          bool
		pinnedTo        []string
	}{
		{name: "nothing required", pod: fixture.Pod("p").Obj(), selectorA: true, affA: true, selectorB: true, affB: true},
		{name: "node selector", pod: fixture.Pod("p").NodeSelector("disk", "ssd").Obj(), selectorA: true, affA: true, affB: true},
		{name: "terms are ORed", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.Expr("zone", "In", "z9")).
			RequiredNodeAffinity(fixture.Expr("zone", "In", "z2")).Obj(), selectorA: true, selectorB: true, affB: true},
		{name: "pinned by name", pod: fixture.Pod("p").RequiredNodeAffinity(fixture.NodeNameTerm("b")).Obj(),
			selectorA: true, selectorB: true, affB: true, pinned: true, pinnedTo: []string{"b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := nodeaffinity.NewRequired(tt.pod)
			require.NoError(t, err)
			require.Equal(t, tt.selectorA, r.MatchesSelector(ssd))
			require.Equal(t, tt.affA, r.MatchesAffinity(ssd))
			require.Equal(t, tt.selectorB, r.MatchesSelector(hdd))
			require.Equal(t, tt.affB, r.MatchesAffinity(hdd))
			names, pinned := r.NodeNames()
			require.Equal(t, tt.pinned, pinned)
			require.Equal(t, tt.pinnedTo, names)
		})
	}
}

func TestPreferredScore(t *testing.T) {
	pod := fixture.Pod("p").PreferredNodeAffinity(5, fixture.Expr("disk", "In", "ssd")).
		PreferredNodeAffinity(3, fixture.Expr("zone", "In", "z1")).
		PreferredNodeAffinity(0, fixture.Expr("zone", "Exists")).Obj()
	p, err := nodeaffinity.NewPreferred(pod)
	require.NoError(t, err)
	require.Equal(t, int64(8), p.Score(fixture.Node("a").Label("disk", "ssd").Label("zone", "z1").Obj()))
	require.Equal(t, int64(3), p.Score(fixture.Node("b").Label("zone", "z1").Obj()))
	require.Equal(t, int64(0), p.Score(fixture.Node("c").Label("zone", "z2").Obj()), "weight 0 terms are dropped")
}
