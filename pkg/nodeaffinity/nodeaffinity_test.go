package nodeaffinity_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// node returns a node with the given labels, given as key, value pairs.
func node(name string, kv ...string) *corev1.Node {
	ls := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		ls[kv[i]] = kv[i+1]
	}
	return &corev1.Node{Metadata: &metav1.ObjectMeta{Name: name, Labels: ls}}
}

// expr returns a node selector term of one expression.
func expr(key, op string, values ...string) *corev1.NodeSelectorTerm {
	return &corev1.NodeSelectorTerm{MatchExpressions: []*corev1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
}

// nodeNameTerm returns a node selector term that names nodes by metadata.name.
func nodeNameTerm(names ...string) *corev1.NodeSelectorTerm {
	return &corev1.NodeSelectorTerm{MatchFields: []*corev1.NodeSelectorRequirement{
		{Key: nodeaffinity.NodeNameField, Operator: "In", Values: names}}}
}

// pod returns a pod with the given nodeSelector and required node affinity terms (none: no
// required node affinity at all).
func pod(selector map[string]string, required ...*corev1.NodeSelectorTerm) *corev1.Pod {
	p := &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p"}, Spec: &corev1.PodSpec{NodeSelector: selector}}
	if len(required) > 0 {
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: required}}}
	}
	return p
}

func TestTermMatches(t *testing.T) {
	n := node("node-a", "disk", "ssd", "cores", "8")
	tests := []struct {
		name string
		term *corev1.NodeSelectorTerm
		want bool
	}{
		{name: "In", term: expr("disk", "In", "ssd", "nvme"), want: true},
		{name: "In misses", term: expr("disk", "In", "hdd")},
		{name: "NotIn", term: expr("disk", "NotIn", "hdd"), want: true},
		{name: "NotIn holds when the label is absent", term: expr("gpu", "NotIn", "yes"), want: true},
		{name: "Exists", term: expr("disk", "Exists"), want: true},
		{name: "DoesNotExist", term: expr("gpu", "DoesNotExist"), want: true},
		{name: "DoesNotExist misses", term: expr("disk", "DoesNotExist")},
		{name: "Gt", term: expr("cores", "Gt", "4"), want: true},
		{name: "Lt", term: expr("cores", "Lt", "4")},
		{name: "metadata.name In", term: nodeNameTerm("node-a", "node-b"), want: true},
		{name: "metadata.name In misses", term: nodeNameTerm("node-b")},
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
			require.Equal(t, tt.want, term.Matches(n))
		})
	}
}

func TestCompileTermErrors(t *testing.T) {
	tests := []struct {
		name string
		term *corev1.NodeSelectorTerm
		want string
	}{
		{name: "unknown operator", term: expr("disk", "Near", "ssd"), want: `"Near" is not a valid node selector operator`},
		{name: "Gt needs an integer", term: expr("cores", "Gt", "many"), want: "matchExpressions[0]"},
		{name: "unsupported field", term: &corev1.NodeSelectorTerm{MatchFields: []*corev1.NodeSelectorRequirement{
			{Key: "spec.podCIDR", Operator: "In", Values: []string{"x"}}}}, want: `field "spec.podCIDR" is not supported`},
		{name: "unsupported field operator", term: &corev1.NodeSelectorTerm{MatchFields: []*corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: "Exists"}}}, want: `operator "Exists" is not supported, only In and NotIn`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := nodeaffinity.CompileTerm(tt.term)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestRequired(t *testing.T) {
	ssd := node("a", "disk", "ssd", "zone", "z1")
	hdd := node("b", "disk", "hdd", "zone", "z2")
	tests := []struct {
		name            string
		pod             *corev1.Pod
		empty           bool
		selectorA, affA bool
		selectorB, affB bool
		pinned          bool
		pinnedTo        []string
	}{
		{name: "nothing required", pod: pod(nil), empty: true, selectorA: true, affA: true, selectorB: true, affB: true},
		{name: "node selector", pod: pod(map[string]string{"disk": "ssd"}), selectorA: true, affA: true, affB: true},
		{name: "terms are ORed", pod: pod(nil, expr("zone", "In", "z9"), expr("zone", "In", "z2")),
			selectorA: true, selectorB: true, affB: true},
		{name: "pinned by name", pod: pod(nil, nodeNameTerm("b")),
			selectorA: true, selectorB: true, affB: true, pinned: true, pinnedTo: []string{"b"}},
		{name: "pinned by two terms: the union", pod: pod(nil, nodeNameTerm("b"), nodeNameTerm("c")),
			selectorA: true, selectorB: true, affB: true, pinned: true, pinnedTo: []string{"b", "c"}},
		{name: "a term without names pins nothing", pod: pod(nil, nodeNameTerm("b"), expr("zone", "Exists")),
			selectorA: true, affA: true, selectorB: true, affB: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := nodeaffinity.NewRequired(tt.pod)
			require.NoError(t, err)
			require.Equal(t, tt.empty, r.Empty())
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

func TestRequiredErrors(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{name: "a bad selector label", pod: pod(map[string]string{"-bad": "x"}), want: "nodeSelector"},
		{name: "a bad term names its index", pod: pod(nil, expr("zone", "Exists"), expr("disk", "Near")),
			want: "nodeAffinity.required.nodeSelectorTerms[1]: matchExpressions[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := nodeaffinity.NewRequired(tt.pod)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestPreferredScore(t *testing.T) {
	p := pod(nil)
	p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []*corev1.PreferredSchedulingTerm{
			{Weight: 5, Preference: expr("disk", "In", "ssd")},
			{Weight: 3, Preference: expr("zone", "In", "z1")},
			{Weight: 0, Preference: expr("zone", "Exists")},
		}}}
	pref, err := nodeaffinity.NewPreferred(p)
	require.NoError(t, err)
	require.False(t, pref.Empty())
	tests := []struct {
		name string
		node *corev1.Node
		want int64
	}{
		{name: "both terms", node: node("a", "disk", "ssd", "zone", "z1"), want: 8},
		{name: "one term", node: node("b", "zone", "z1"), want: 3},
		{name: "weight 0 terms are dropped", node: node("c", "zone", "z2"), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, pref.Score(tt.node))
		})
	}
	none, err := nodeaffinity.NewPreferred(pod(nil))
	require.NoError(t, err)
	require.True(t, none.Empty())
}
