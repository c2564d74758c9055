package rbac

import (
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// RuleAllows reports whether rule allows the request a describes, as Kubernetes' RuleAllows does:
// for a resource request, the verb, API group, resource (with "*", "<resource>/<sub>" and
// "*/<sub>" forms) and, when the rule names any, the object's name must match; for any other
// request, the verb and the path ("*", exact, or a prefix ending in "*").
func RuleAllows(a *authz.Attributes, rule *rbacv1.PolicyRule) bool {
	if !verbMatches(rule, a.Verb) {
		return false
	}
	if !a.ResourceRequest {
		return nonResourceURLMatches(rule, a.Path)
	}
	return apiGroupMatches(rule, a.APIGroup) &&
		resourceMatches(rule, a.Resource, a.Subresource) &&
		resourceNameMatches(rule, a.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.GetVerbs() {
		if v == "*" || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.GetApiGroups() {
		if g == "*" || g == group {
			return true
		}
	}
	return false
}

// resourceMatches matches "<resource>" or "<resource>/<subresource>" against the rule's
// resources; "*/<subresource>" matches that subresource of every resource.
func resourceMatches(rule *rbacv1.PolicyRule, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined = resource + "/" + subresource
	}
	for _, r := range rule.GetResources() {
		switch {
		case r == "*" || r == combined:
			return true
		case subresource != "" && len(r) == len(subresource)+2 && strings.HasPrefix(r, "*/") && strings.HasSuffix(r, subresource):
			return true
		}
	}
	return false
}

// resourceNameMatches is true when the rule names no objects or names this one.
func resourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.GetResourceNames()) == 0 {
		return true
	}
	for _, n := range rule.GetResourceNames() {
		if n == name {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.GetNonResourceUrls() {
		switch {
		case u == "*" || u == path:
			return true
		case strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")):
			return true
		}
	}
	return false
}
