package rbac

import (
	"testing"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

func TestRuleAllows(t *testing.T) {
	podsRead := &rbacv1.PolicyRule{Verbs: []string{"get", "list"}, ApiGroups: []string{""}, Resources: []string{"pods"}}
	res := func(verb, group, resource, sub, name string) authz.Attributes {
		return authz.Attributes{ResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Name: name}
	}
	path := func(verb, p string) authz.Attributes { return authz.Attributes{Verb: verb, Path: p} }
	tests := []struct {
		name  string
		rule  *rbacv1.PolicyRule
		attrs authz.Attributes
		want  bool
	}{
		{"exact", podsRead, res("get", "", "pods", "", "web"), true},
		{"other verb", podsRead, res("delete", "", "pods", "", "web"), false},
		{"other group", podsRead, res("get", "apps", "pods", "", ""), false},
		{"other resource", podsRead, res("get", "", "secrets", "", ""), false},
		{"subresource not granted by its resource", podsRead, res("get", "", "pods", "log", "web"), false},
		{"subresource form", &rbacv1.PolicyRule{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"pods/log"}},
			res("get", "", "pods", "log", "web"), true},
		{"subresource form does not grant the resource", &rbacv1.PolicyRule{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"pods/log"}},
			res("get", "", "pods", "", "web"), false},
		{"any resource's subresource", &rbacv1.PolicyRule{Verbs: []string{"update"}, ApiGroups: []string{"apps"}, Resources: []string{"*/scale"}},
			res("update", "apps", "deployments", "scale", "web"), true},
		{"any resource's subresource, other subresource", &rbacv1.PolicyRule{Verbs: []string{"update"}, ApiGroups: []string{"apps"}, Resources: []string{"*/scale"}},
			res("update", "apps", "deployments", "status", "web"), false},
		{"wildcards", &rbacv1.PolicyRule{Verbs: []string{"*"}, ApiGroups: []string{"*"}, Resources: []string{"*"}},
			res("deletecollection", "batch", "jobs", "status", ""), true},
		{"resource names", &rbacv1.PolicyRule{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}},
			res("get", "", "configmaps", "", "a"), true},
		{"other resource name", &rbacv1.PolicyRule{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}},
			res("get", "", "configmaps", "", "b"), false},
		{"resource names and a list", &rbacv1.PolicyRule{Verbs: []string{"list"}, ApiGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"a"}},
			res("list", "", "configmaps", "", ""), false},
		{"URL", &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}}, path("get", "/healthz"), true},
		{"URL prefix", &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz*"}}, path("get", "/healthz/etcd"), true},
		{"URL prefix, other path", &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz*"}}, path("get", "/livez"), false},
		{"URL, other verb", &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}}, path("post", "/healthz"), false},
		{"any URL", &rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceUrls: []string{"*"}}, path("get", "/metrics"), true},
		{"resource rule and a path", podsRead, path("get", "/api/v1/pods"), false},
		{"URL rule and a resource", &rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceUrls: []string{"*"}}, res("get", "", "pods", "", ""), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleAllows(&tc.attrs, tc.rule); got != tc.want {
				t.Errorf("RuleAllows = %v, want %v", got, tc.want)
			}
		})
	}
}
