package rbac

import (
	"testing"

	"google.golang.org/protobuf/proto"

	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

func TestAggregatedRulesOfBootstrapPolicy(t *testing.T) {
	roles := map[string]*rbacv1.ClusterRole{}
	for _, r := range ClusterRoles() {
		roles[r.GetMetadata().GetName()] = r
	}
	extra := newClusterRole("crontab-viewer", ruleOf("get", "example.com", "crontabs"))
	extra.Metadata.Labels = map[string]string{aggregateToView: "true"}
	roles["crontab-viewer"] = extra
	// Aggregation of aggregation: admin selects edit, edit selects view, once their rules are in.
	for range 3 {
		for name, rules := range aggregatedRules(roles) {
			r := proto.Clone(roles[name]).(*rbacv1.ClusterRole)
			r.Rules = rules
			roles[name] = r
		}
	}
	has := func(role string, r *rbacv1.PolicyRule) bool {
		for _, x := range roles[role].GetRules() {
			if proto.Equal(x, r) {
				return true
			}
		}
		return false
	}
	viewRule := roles["system:aggregate-to-view"].GetRules()[0]
	editRule := roles["system:aggregate-to-edit"].GetRules()[0]
	adminRule := roles["system:aggregate-to-admin"].GetRules()[0]
	tests := []struct {
		role string
		rule *rbacv1.PolicyRule
		want bool
	}{
		{"view", viewRule, true}, {"view", extra.Rules[0], true}, {"view", editRule, false},
		{"edit", viewRule, true}, {"edit", editRule, true}, {"edit", adminRule, false},
		{"admin", viewRule, true}, {"admin", editRule, true}, {"admin", adminRule, true}, {"admin", extra.Rules[0], true},
		{"cluster-admin", viewRule, false},
	}
	for _, tc := range tests {
		if got := has(tc.role, tc.rule); got != tc.want {
			t.Errorf("%s holds %v: %v, want %v", tc.role, tc.rule, got, tc.want)
		}
	}
	// A second pass changes nothing.
	for name, rules := range aggregatedRules(roles) {
		if !rulesEqual(roles[name].GetRules(), rules) {
			t.Errorf("aggregating %s again changed its rules", name)
		}
	}
}
