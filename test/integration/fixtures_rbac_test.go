package integration

import (
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// readPods is a rule the RBAC fixtures share.
func readPods() []*rbacv1.PolicyRule {
	return []*rbacv1.PolicyRule{{Verbs: []string{"get", "list"}, ApiGroups: []string{""}, Resources: []string{"pods"}}}
}

func roleFixture() kindFixture[*rbacv1.Role] {
	return kindFixture[*rbacv1.Role]{
		valid: func(n string) *rbacv1.Role { return &rbacv1.Role{Metadata: meta(n, nil), Rules: readPods()} },
		spec:  func(r *rbacv1.Role) { r.Rules[0].Verbs = append(r.Rules[0].Verbs, "watch") },
		invalid: func(n string) *rbacv1.Role {
			return &rbacv1.Role{Metadata: meta(n, nil), Rules: []*rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}}}}
		},
		badFields: []string{"rules[0].nonResourceURLs"},
	}
}

func clusterRoleFixture() kindFixture[*rbacv1.ClusterRole] {
	return kindFixture[*rbacv1.ClusterRole]{
		valid: func(n string) *rbacv1.ClusterRole {
			return &rbacv1.ClusterRole{Metadata: meta(n, nil), Rules: readPods()}
		},
		spec: func(r *rbacv1.ClusterRole) { r.Rules[0].Resources = append(r.Rules[0].Resources, "pods/log") },
		invalid: func(n string) *rbacv1.ClusterRole {
			return &rbacv1.ClusterRole{Metadata: meta(n, nil), Rules: []*rbacv1.PolicyRule{{ApiGroups: []string{""}}}}
		},
		badFields: []string{"rules[0].verbs", "rules[0].resources"},
	}
}

func roleBindingFixture() kindFixture[*rbacv1.RoleBinding] {
	return kindFixture[*rbacv1.RoleBinding]{
		valid: func(n string) *rbacv1.RoleBinding {
			return &rbacv1.RoleBinding{Metadata: meta(n, nil), RoleRef: &rbacv1.RoleRef{Kind: "Role", Name: "reader"},
				Subjects: []*rbacv1.Subject{{Kind: "User", Name: "jane"}}}
		},
		spec: func(b *rbacv1.RoleBinding) {
			b.Subjects = append(b.Subjects, &rbacv1.Subject{Kind: "ServiceAccount", Name: "default"})
		},
		invalid: func(n string) *rbacv1.RoleBinding {
			return &rbacv1.RoleBinding{Metadata: meta(n, nil), RoleRef: &rbacv1.RoleRef{Kind: "Pod", Name: "reader"},
				Subjects: []*rbacv1.Subject{{Kind: "Robot", Name: "r2"}}}
		},
		badFields: []string{"roleRef.kind", "subjects[0].kind"},
	}
}

func clusterRoleBindingFixture() kindFixture[*rbacv1.ClusterRoleBinding] {
	return kindFixture[*rbacv1.ClusterRoleBinding]{
		valid: func(n string) *rbacv1.ClusterRoleBinding {
			return &rbacv1.ClusterRoleBinding{Metadata: meta(n, nil), RoleRef: &rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
				Subjects: []*rbacv1.Subject{{Kind: "Group", Name: "auditors"}}}
		},
		spec: func(b *rbacv1.ClusterRoleBinding) {
			b.Subjects = append(b.Subjects, &rbacv1.Subject{Kind: "ServiceAccount", Name: "default", Namespace: "default"})
		},
		invalid: func(n string) *rbacv1.ClusterRoleBinding {
			return &rbacv1.ClusterRoleBinding{Metadata: meta(n, nil), RoleRef: &rbacv1.RoleRef{Kind: "Role", Name: "view"},
				Subjects: []*rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}}}
		},
		badFields: []string{"roleRef.kind", "subjects[0].namespace"},
	}
}
