package rbac

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// loaded returns an authorizer holding objs, as if its watches had delivered them.
func loaded(objs ...scheme.Object) *Authorizer {
	a := New(nil)
	a.update(func(o *objects) {
		for _, obj := range objs {
			o.put(obj, false)
		}
	})
	a.markSynced()
	return a
}

func newClusterRole(name string, rules ...*rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{Metadata: &metav1.ObjectMeta{Name: name}, Rules: rules}
}

func role(ns, name string, rules ...*rbacv1.PolicyRule) *rbacv1.Role {
	return &rbacv1.Role{Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name}, Rules: rules}
}

func crb(name, roleName string, subjects ...*rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{Metadata: &metav1.ObjectMeta{Name: name}, Subjects: subjects,
		RoleRef: &rbacv1.RoleRef{ApiGroup: scheme.GroupRBAC, Kind: "ClusterRole", Name: roleName}}
}

func rb(ns, name, kind, roleName string, subjects ...*rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{Metadata: &metav1.ObjectMeta{Namespace: ns, Name: name}, Subjects: subjects,
		RoleRef: &rbacv1.RoleRef{ApiGroup: scheme.GroupRBAC, Kind: kind, Name: roleName}}
}

func userSubj(name string) *rbacv1.Subject     { return &rbacv1.Subject{Kind: "User", Name: name} }
func groupSubject(name string) *rbacv1.Subject { return &rbacv1.Subject{Kind: "Group", Name: name} }

func ruleOf(verbs, groups, resources string) *rbacv1.PolicyRule {
	return &rbacv1.PolicyRule{Verbs: strings.Split(verbs, ","), ApiGroups: strings.Split(groups, ","), Resources: strings.Split(resources, ",")}
}

func TestAuthorize(t *testing.T) {
	a := loaded(
		newClusterRole("pod-reader", ruleOf("get,list,watch", "", "pods")),
		newClusterRole("probe", &rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz*"}}),
		role("team", "deployer", ruleOf("create,update", "apps", "deployments")),
		crb("readers", "pod-reader", groupSubject("readers")),
		crb("probes", "probe", groupSubject(user.AllUnauthenticated)),
		rb("team", "deployers", "Role", "deployer", userSubj("jane")),
		rb("team", "team-readers", "ClusterRole", "pod-reader", &rbacv1.Subject{Kind: "ServiceAccount", Name: "ci"}),
		rb("team", "dangling", "Role", "missing", userSubj("bob")),
	)
	jane := &user.Info{Name: "jane", Groups: []string{user.AllAuthenticated}}
	reader := &user.Info{Name: "rita", Groups: []string{"readers", user.AllAuthenticated}}
	ci := &user.Info{Name: "system:serviceaccount:team:ci", Groups: []string{user.ServiceAccountsGroup}}
	anon := &user.Info{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	bob := &user.Info{Name: "bob"}
	res := func(u *user.Info, verb, group, resource, ns string) authz.Attributes {
		return authz.Attributes{User: u, Verb: verb, ResourceRequest: true, APIGroup: group, APIVersion: "v1", Resource: resource, Namespace: ns}
	}
	tests := []struct {
		name   string
		attrs  authz.Attributes
		want   authz.Decision
		reason string
	}{
		{"group through a cluster binding, any namespace", res(reader, "list", "", "pods", "other"), authz.Allow,
			`RBAC: allowed by ClusterRoleBinding "readers" of ClusterRole "pod-reader" to Group "readers"`},
		{"group through a cluster binding, cluster-wide", res(reader, "list", "", "pods", ""), authz.Allow, ""},
		{"group, verb not granted", res(reader, "delete", "", "pods", "team"), authz.NoOpinion, ""},
		{"user through a role binding", res(jane, "create", "apps", "deployments", "team"), authz.Allow,
			`RBAC: allowed by RoleBinding "deployers" of Role "deployer" to User "jane" in namespace "team"`},
		{"role binding, other namespace", res(jane, "create", "apps", "deployments", "prod"), authz.NoOpinion, ""},
		{"role binding, cluster-wide", res(jane, "create", "apps", "deployments", ""), authz.NoOpinion, ""},
		{"service account in the binding's namespace", res(ci, "watch", "", "pods", "team"), authz.Allow, ""},
		{"service account, other namespace", res(ci, "watch", "", "pods", "prod"), authz.NoOpinion, ""},
		{"missing role", res(bob, "get", "", "pods", "team"), authz.NoOpinion, ""},
		{"anonymous, health", authz.Attributes{User: anon, Verb: "get", Path: "/healthz/ready"}, authz.Allow, ""},
		{"anonymous, metrics", authz.Attributes{User: anon, Verb: "get", Path: "/metrics"}, authz.NoOpinion, ""},
		{"no user", authz.Attributes{Verb: "get", Path: "/healthz"}, authz.NoOpinion, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason, err := a.Authorize(context.Background(), tc.attrs)
			if err != nil || got != tc.want {
				t.Fatalf("Authorize = %v, %q, %v; want %v", got, reason, err, tc.want)
			}
			if tc.reason != "" && reason != tc.reason {
				t.Errorf("reason = %q, want %q", reason, tc.reason)
			}
		})
	}
}

func TestAuthorizeFollowsChanges(t *testing.T) {
	a := loaded(newClusterRole("pod-reader", ruleOf("get", "", "pods")))
	u := &user.Info{Name: "jane"}
	attrs := authz.Attributes{User: u, Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "default"}
	check := func(want authz.Decision) {
		t.Helper()
		if got, _, _ := a.Authorize(context.Background(), attrs); got != want {
			t.Fatalf("Authorize = %v, want %v", got, want)
		}
	}
	check(authz.NoOpinion)
	b := crb("jane-reads", "pod-reader", userSubj("jane"))
	a.update(func(o *objects) { o.put(b, false) })
	check(authz.Allow)
	a.update(func(o *objects) { o.put(newClusterRole("pod-reader", ruleOf("list", "", "pods")), false) })
	check(authz.NoOpinion)
	a.update(func(o *objects) {
		o.put(newClusterRole("pod-reader", ruleOf("get", "", "pods")), false)
		o.put(b, true)
	})
	check(authz.NoOpinion)
}

func TestAuthorizeBeforeSync(t *testing.T) {
	a := New(nil)
	a.update(func(o *objects) {
		o.put(newClusterRole("all", ruleOf("*", "*", "*")), false)
		o.put(crb("all", "all", userSubj("jane")), false)
	})
	attrs := authz.Attributes{User: &user.Info{Name: "jane"}, Verb: "get", ResourceRequest: true, Resource: "pods"}
	if got, _, _ := a.Authorize(context.Background(), attrs); got != authz.NoOpinion {
		t.Fatalf("before the initial load Authorize = %v, want NoOpinion", got)
	}
}

func TestRulesFor(t *testing.T) {
	a := loaded(
		newClusterRole("view", ruleOf("get", "", "pods")),
		role("team", "edit", ruleOf("create", "", "pods")),
		crb("view", "view", groupSubject("devs")),
		rb("team", "edit", "Role", "edit", userSubj("jane")),
	)
	u := &user.Info{Name: "jane", Groups: []string{"devs"}}
	if got := len(a.RulesFor(u, "team")); got != 2 {
		t.Errorf("rules in team = %d, want 2", got)
	}
	if got := len(a.RulesFor(u, "other")); got != 1 {
		t.Errorf("rules in other = %d, want 1", got)
	}
}

// BenchmarkAuthorize decides for a user in several groups against a policy of many bindings, the
// last of which allows: the index makes the cost independent of the bindings of other subjects.
func BenchmarkAuthorize(b *testing.B) {
	objs := []scheme.Object{newClusterRole("edit", ruleOf("get,list,watch,create,update,patch,delete", "", "pods,services,configmaps,secrets"))}
	for i := range 2000 {
		objs = append(objs,
			crb(fmt.Sprintf("crb-%d", i), "edit", userSubj(fmt.Sprintf("user-%d", i))),
			rb(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("rb-%d", i), "ClusterRole", "edit", groupSubject(fmt.Sprintf("group-%d", i))))
	}
	a := loaded(objs...)
	u := &user.Info{Name: "someone", Groups: []string{"group-7", "group-1957", user.AllAuthenticated}}
	attrs := authz.Attributes{User: u, Verb: "create", ResourceRequest: true, APIVersion: "v1", Resource: "pods", Namespace: "ns-7"}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if d, _, _ := a.Authorize(ctx, attrs); d != authz.Allow {
			b.Fatalf("decision %v", d)
		}
	}
}
