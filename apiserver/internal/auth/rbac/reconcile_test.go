package rbac

import (
	"testing"

	"google.golang.org/protobuf/proto"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

func TestMergeRoleKeepsAdditionsAndIsIdempotent(t *testing.T) {
	want := ClusterRoles()[0] // cluster-admin
	have := proto.Clone(want).(*rbacv1.ClusterRole)
	have.Rules = have.Rules[:1]
	userRule := ruleOf("get", "example.com", "widgets")
	have.Rules = append(have.Rules, userRule)
	have.Metadata.Labels["team"] = "ops"
	have.Metadata.Labels[bootstrappingLabel] = "changed"

	mergeRole(have, want)
	if len(have.Rules) != 3 || !proto.Equal(have.Rules[1], userRule) || !proto.Equal(have.Rules[2], want.Rules[1]) {
		t.Fatalf("merged rules %v", have.Rules)
	}
	if have.Metadata.Labels["team"] != "ops" || have.Metadata.Labels[bootstrappingLabel] != "changed" {
		t.Errorf("merge overwrote labels: %v", have.Metadata.Labels)
	}
	again := proto.Clone(have).(*rbacv1.ClusterRole)
	mergeRole(again, want)
	if !proto.Equal(again, have) {
		t.Errorf("a second merge changed the role")
	}
}

func TestMergeAggregatedRoleLeavesRules(t *testing.T) {
	var want *rbacv1.ClusterRole
	for _, r := range ClusterRoles() {
		if r.GetMetadata().GetName() == "view" {
			want = r
		}
	}
	have := &rbacv1.ClusterRole{Metadata: proto.Clone(want.Metadata).(*metav1.ObjectMeta), Rules: []*rbacv1.PolicyRule{ruleOf("get", "", "pods")}}
	mergeRole(have, want)
	if len(have.Rules) != 1 || len(have.GetAggregationRule().GetClusterRoleSelectors()) != 1 {
		t.Errorf("merged aggregated role %v", have)
	}
}

func TestBootstrapPolicyIsConsistent(t *testing.T) {
	roles := map[string]bool{}
	for _, r := range ClusterRoles() {
		name := r.GetMetadata().GetName()
		if roles[name] {
			t.Errorf("cluster role %s twice", name)
		}
		roles[name] = true
		for i, rule := range r.GetRules() {
			if len(rule.GetVerbs()) == 0 || (len(rule.GetNonResourceUrls()) == 0) == (len(rule.GetResources()) == 0) {
				t.Errorf("%s rule %d is malformed: %v", name, i, rule)
			}
		}
	}
	for _, b := range ClusterRoleBindings() {
		if !roles[b.GetRoleRef().GetName()] {
			t.Errorf("binding %s references the missing role %s", b.GetMetadata().GetName(), b.GetRoleRef().GetName())
		}
	}
}
