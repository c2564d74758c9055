package rbac

import (
	"context"
	"strings"
	"testing"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

func TestEscalationCheckOfRoles(t *testing.T) {
	a := loaded(
		newClusterRole("pod-admin", ruleOf("get,list,create,delete", "", "pods,pods/log")),
		newClusterRole("escalator", ruleOf("escalate", scheme.GroupRBAC, "roles")),
		crb("jane", "pod-admin", userSubj("jane")),
		rb("team", "esc", "ClusterRole", "escalator", userSubj("eve")),
	)
	check := NewEscalationCheck(a, nil)
	sch := scheme.Builtin()
	roleKind, _ := sch.ByResource(gvr("roles"))
	clusterRoleKind, _ := sch.ByResource(gvr("clusterroles"))
	jane := user.NewContext(context.Background(), &user.Info{Name: "jane", Groups: []string{user.AllAuthenticated}})
	eve := user.NewContext(context.Background(), &user.Info{Name: "eve"})
	roleWith := func(rules ...*rbacv1.PolicyRule) registry.Attributes {
		return registry.Attributes{Kind: roleKind, Namespace: "team", Name: "r",
			Object: &rbacv1.Role{Metadata: &metav1.ObjectMeta{Name: "r", Namespace: "team"}, Rules: rules}}
	}
	tests := []struct {
		name    string
		ctx     context.Context
		attrs   registry.Attributes
		refused bool
	}{
		{"held rules", jane, roleWith(ruleOf("get,list", "", "pods"), ruleOf("get", "", "pods/log")), false},
		{"a verb not held", jane, roleWith(ruleOf("get,update", "", "pods")), true},
		{"a wildcard not held", jane, roleWith(ruleOf("get", "", "*")), true},
		{"a resource not held", jane, roleWith(ruleOf("get", "", "secrets")), true},
		{"named objects of a held resource", jane, roleWith(&rbacv1.PolicyRule{Verbs: []string{"get"}, ApiGroups: []string{""},
			Resources: []string{"pods"}, ResourceNames: []string{"web"}}), false},
		{"escalate allowed", eve, roleWith(ruleOf("*", "*", "*")), false},
		{"the apiserver's own write", context.Background(), roleWith(ruleOf("*", "*", "*")), false},
		{"cluster role with a URL not held", jane, registry.Attributes{Kind: clusterRoleKind, Name: "c",
			Object: &rbacv1.ClusterRole{Metadata: &metav1.ObjectMeta{Name: "c"}, Rules: []*rbacv1.PolicyRule{
				{Verbs: []string{"get"}, NonResourceUrls: []string{"/metrics"}}}}}, true},
		{"an update that grants nothing new", jane, registry.Attributes{Kind: roleKind, Namespace: "team", Name: "r",
			Object: &rbacv1.Role{Metadata: &metav1.ObjectMeta{Name: "r", Namespace: "team", Finalizers: []string{"x"}}, Rules: []*rbacv1.PolicyRule{ruleOf("*", "*", "*")}},
			Old:    &rbacv1.Role{Metadata: &metav1.ObjectMeta{Name: "r", Namespace: "team"}, Rules: []*rbacv1.PolicyRule{ruleOf("*", "*", "*")}}}, false},
		{"an update that adds an aggregation label", jane, registry.Attributes{Kind: clusterRoleKind, Name: "c",
			Object: &rbacv1.ClusterRole{Metadata: &metav1.ObjectMeta{Name: "c", Labels: map[string]string{aggregateToView: "true"}}, Rules: []*rbacv1.PolicyRule{ruleOf("*", "*", "*")}},
			Old:    &rbacv1.ClusterRole{Metadata: &metav1.ObjectMeta{Name: "c"}, Rules: []*rbacv1.PolicyRule{ruleOf("*", "*", "*")}}}, true},
		{"a delete grants nothing", jane, registry.Attributes{Operation: registry.OperationDelete, Kind: roleKind, Namespace: "team", Name: "r",
			Old: &rbacv1.Role{Metadata: &metav1.ObjectMeta{Name: "r", Namespace: "team"}, Rules: []*rbacv1.PolicyRule{ruleOf("*", "*", "*")}}}, false},
		{"escalate in another namespace does not count", eve, registry.Attributes{Kind: clusterRoleKind, Name: "c",
			Object: &rbacv1.ClusterRole{Metadata: &metav1.ObjectMeta{Name: "c"}, Rules: []*rbacv1.PolicyRule{ruleOf("get", "", "pods")}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := check.Admit(tc.ctx, tc.attrs)
			if refused := apierrors.IsForbidden(err); refused != tc.refused || (err != nil && !refused) {
				t.Fatalf("Admit = %v, want refused=%v", err, tc.refused)
			}
			if tc.refused && !strings.Contains(err.Error(), "attempting to grant RBAC permissions not currently held") {
				t.Errorf("message %q does not say why", err)
			}
		})
	}
}

func TestEscalationCheckOfBindingWithBind(t *testing.T) {
	a := loaded(
		newClusterRole("binder", &rbacv1.PolicyRule{Verbs: []string{"bind"}, ApiGroups: []string{scheme.GroupRBAC},
			Resources: []string{"clusterroles"}, ResourceNames: []string{"view"}}),
		crb("bob", "binder", userSubj("bob")),
	)
	check := NewEscalationCheck(a, nil)
	k, _ := scheme.Builtin().ByResource(gvr("clusterrolebindings"))
	bob := user.NewContext(context.Background(), &user.Info{Name: "bob"})
	b := &rbacv1.ClusterRoleBinding{Metadata: &metav1.ObjectMeta{Name: "b"}, RoleRef: &rbacv1.RoleRef{ApiGroup: scheme.GroupRBAC, Kind: "ClusterRole", Name: "view"}}
	if err := check.Admit(bob, registry.Attributes{Kind: k, Name: "b", Object: b}); err != nil {
		t.Fatalf("bind on view: %v", err)
	}
}

func TestExpand(t *testing.T) {
	r := &rbacv1.PolicyRule{Verbs: []string{"get", "list"}, ApiGroups: []string{"", "apps"}, Resources: []string{"pods/log", "deployments"}, ResourceNames: []string{"a", "b"}}
	got := expand(&user.Info{Name: "u"}, "ns", r)
	if len(got) != 2*2*2*2 {
		t.Fatalf("expand gave %d requests, want 16", len(got))
	}
	if got[0].Resource != "pods" || got[0].Subresource != "log" || got[0].Namespace != "ns" || got[0].Name != "a" {
		t.Errorf("first request %+v", got[0])
	}
}
