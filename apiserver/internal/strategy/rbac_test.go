package strategy

import (
	"testing"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

func TestRole(t *testing.T) {
	valid := func() *rbacv1.Role {
		return &rbacv1.Role{Metadata: meta("reader"), Rules: []*rbacv1.PolicyRule{
			{Verbs: []string{"get", "list"}, ApiGroups: []string{""}, Resources: []string{"pods", "pods/log"}},
		}}
	}
	runValidation(t, roleStrategy{namespaced: true}, valid, []fieldCase[*rbacv1.Role]{
		{"no verbs", func(r *rbacv1.Role) { r.Rules[0].Verbs = nil }, []string{"rules[0].verbs"}},
		{"no groups", func(r *rbacv1.Role) { r.Rules[0].ApiGroups = nil }, []string{"rules[0].apiGroups"}},
		{"no resources", func(r *rbacv1.Role) { r.Rules[0].Resources = nil }, []string{"rules[0].resources"}},
		{"non-resource URL in a role", func(r *rbacv1.Role) {
			r.Rules = append(r.Rules, &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}})
		}, []string{"rules[1].nonResourceURLs"}},
	})
}

func TestClusterRole(t *testing.T) {
	valid := func() *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{Metadata: meta("system:probe"), Rules: []*rbacv1.PolicyRule{
			{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz", "/readyz*"}},
			{Verbs: []string{"*"}, ApiGroups: []string{"*"}, Resources: []string{"*"}},
		}}
	}
	runValidation(t, roleStrategy{}, valid, []fieldCase[*rbacv1.ClusterRole]{
		{"resources and URLs", func(r *rbacv1.ClusterRole) { r.Rules[0].Resources = []string{"pods"} }, []string{"rules[0].nonResourceURLs"}},
		{"empty aggregation", func(r *rbacv1.ClusterRole) { r.AggregationRule = &rbacv1.AggregationRule{} },
			[]string{"aggregationRule.clusterRoleSelectors"}},
		{"bad selector", func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []*metav1.LabelSelector{
				{MatchExpressions: []*metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}}
		}, []string{"aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator"}},
		{"aggregation", func(r *rbacv1.ClusterRole) {
			r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []*metav1.LabelSelector{
				{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}}}}
		}, nil},
	})
}

func TestRoleBinding(t *testing.T) {
	checkDefault(t, bindingStrategy{namespaced: true},
		&rbacv1.RoleBinding{Metadata: meta("b"), RoleRef: &rbacv1.RoleRef{Kind: "Role", Name: "r"},
			Subjects: []*rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "ServiceAccount", Name: "default"}}},
		&rbacv1.RoleBinding{Metadata: meta("b"), RoleRef: &rbacv1.RoleRef{ApiGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "r"},
			Subjects: []*rbacv1.Subject{{Kind: "User", ApiGroup: "rbac.authorization.k8s.io", Name: "alice"}, {Kind: "ServiceAccount", Name: "default"}}})
	valid := func() *rbacv1.RoleBinding {
		return defaulted(bindingStrategy{namespaced: true}, &rbacv1.RoleBinding{Metadata: meta("b"),
			RoleRef:  &rbacv1.RoleRef{Kind: "Role", Name: "reader"},
			Subjects: []*rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "Group", Name: "devs"}, {Kind: "ServiceAccount", Name: "default"}}})
	}
	runValidation(t, bindingStrategy{namespaced: true}, valid, []fieldCase[*rbacv1.RoleBinding]{
		{"cluster role", func(b *rbacv1.RoleBinding) { b.RoleRef.Kind = "ClusterRole" }, nil},
		{"bad ref kind", func(b *rbacv1.RoleBinding) { b.RoleRef.Kind = "Pod" }, []string{"roleRef.kind"}},
		{"bad ref group", func(b *rbacv1.RoleBinding) { b.RoleRef.ApiGroup = "apps" }, []string{"roleRef.apiGroup"}},
		{"no ref name", func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "" }, []string{"roleRef.name"}},
		{"bad subject kind", func(b *rbacv1.RoleBinding) { b.Subjects[0].Kind = "Robot" }, []string{"subjects[0].kind"}},
		{"no subject name", func(b *rbacv1.RoleBinding) { b.Subjects[1].Name = "" }, []string{"subjects[1].name"}},
		{"service account group", func(b *rbacv1.RoleBinding) { b.Subjects[2].ApiGroup = "rbac.authorization.k8s.io" }, []string{"subjects[2].apiGroup"}},
		{"user without group", func(b *rbacv1.RoleBinding) { b.Subjects[0].ApiGroup = "" }, []string{"subjects[0].apiGroup"}},
	})
	runUpdate(t, bindingStrategy{namespaced: true}, valid, []fieldCase[*rbacv1.RoleBinding]{
		{"subjects change", func(b *rbacv1.RoleBinding) { b.Subjects = b.Subjects[:1] }, nil},
		{"role ref change", func(b *rbacv1.RoleBinding) { b.RoleRef.Name = "writer" }, []string{"roleRef"}},
	})
}

func TestClusterRoleBinding(t *testing.T) {
	valid := func() *rbacv1.ClusterRoleBinding {
		return defaulted(bindingStrategy{}, &rbacv1.ClusterRoleBinding{Metadata: meta("system:node-proxier"),
			RoleRef:  &rbacv1.RoleRef{Kind: "ClusterRole", Name: "system:node-proxier"},
			Subjects: []*rbacv1.Subject{{Kind: "ServiceAccount", Name: "proxy", Namespace: "kube-system"}}})
	}
	runValidation(t, bindingStrategy{}, valid, []fieldCase[*rbacv1.ClusterRoleBinding]{
		{"role", func(b *rbacv1.ClusterRoleBinding) { b.RoleRef.Kind = "Role" }, []string{"roleRef.kind"}},
		{"service account without namespace", func(b *rbacv1.ClusterRoleBinding) { b.Subjects[0].Namespace = "" }, []string{"subjects[0].namespace"}},
	})
}
