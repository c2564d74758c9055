package rbac

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/scheme"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// cached returns how many decisions a's current index remembers.
func cached(a *Authorizer) int { return a.idx.Load().decisions.len() }

// TestCachedDecisionFollowsPolicyChanges takes a decision (caching it), changes the policy and
// asks again at once: every change of a role or binding is seen by the very next request, an
// Allow cached before a binding's deletion included.
func TestCachedDecisionFollowsPolicyChanges(t *testing.T) {
	reader := newClusterRole("pod-reader", ruleOf("get,create", "", "pods"))
	binding := rb("team", "jane-reads", "ClusterRole", "pod-reader", userSubj("jane"))
	attrs := authz.Attributes{User: &user.Info{Name: "jane", Groups: []string{user.AllAuthenticated}}, Verb: "create",
		ResourceRequest: true, APIVersion: "v1", Resource: "pods", Namespace: "team"}
	tests := []struct {
		name         string
		before       []scheme.Object
		change       func(o *objects)
		want, wantAt authz.Decision
	}{
		{"binding deleted", []scheme.Object{reader, binding}, func(o *objects) { o.put(binding, true) }, authz.Allow, authz.NoOpinion},
		{"role deleted", []scheme.Object{reader, binding}, func(o *objects) { o.put(reader, true) }, authz.Allow, authz.NoOpinion},
		{"role narrowed", []scheme.Object{reader, binding},
			func(o *objects) { o.put(newClusterRole("pod-reader", ruleOf("get", "", "pods")), false) }, authz.Allow, authz.NoOpinion},
		{"binding's subject changed", []scheme.Object{reader, binding},
			func(o *objects) { o.put(rb("team", "jane-reads", "ClusterRole", "pod-reader", userSubj("joe")), false) }, authz.Allow, authz.NoOpinion},
		{"binding created", []scheme.Object{reader}, func(o *objects) { o.put(binding, false) }, authz.NoOpinion, authz.Allow},
		{"cluster role binding created", []scheme.Object{reader},
			func(o *objects) { o.put(crb("all-read", "pod-reader", groupSubject(user.AllAuthenticated)), false) }, authz.NoOpinion, authz.Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := loaded(tt.before...)
			for range 3 {
				if got, _, _ := a.Authorize(context.Background(), attrs); got != tt.want {
					t.Fatalf("before the change Authorize = %v, want %v", got, tt.want)
				}
			}
			if n := cached(a); n != 1 {
				t.Fatalf("cached decisions = %d, want 1", n)
			}
			a.update(tt.change)
			if got, _, _ := a.Authorize(context.Background(), attrs); got != tt.wantAt {
				t.Fatalf("right after the change Authorize = %v, want %v", got, tt.wantAt)
			}
		})
	}
}

// TestCachedDecisionKeepsItsReason answers a repeated request with the reason of the first.
func TestCachedDecisionKeepsItsReason(t *testing.T) {
	a := loaded(newClusterRole("pod-reader", ruleOf("get", "", "pods")), crb("jane-reads", "pod-reader", userSubj("jane")))
	attrs := authz.Attributes{User: &user.Info{Name: "jane"}, Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "default"}
	want := `RBAC: allowed by ClusterRoleBinding "jane-reads" of ClusterRole "pod-reader" to User "jane"`
	for i := range 2 {
		d, reason, err := a.Authorize(context.Background(), attrs)
		if d != authz.Allow || reason != want || err != nil {
			t.Fatalf("call %d: Authorize = %v, %q, %v; want Allow, %q", i, d, reason, err, want)
		}
	}
}

// TestCacheTellsRequestsApart asks for requests that differ in one attribute each: none is
// answered with another's decision.
func TestCacheTellsRequestsApart(t *testing.T) {
	a := loaded(
		newClusterRole("pod-creator", ruleOf("create", "", "pods")),
		rb("team", "jane", "ClusterRole", "pod-creator", userSubj("jane")),
		rb("team", "devs", "ClusterRole", "pod-creator", groupSubject("devs")),
	)
	jane := &user.Info{Name: "jane"}
	allowed := authz.Attributes{User: jane, Verb: "create", ResourceRequest: true, APIVersion: "v1", Resource: "pods", Namespace: "team"}
	with := func(fn func(a *authz.Attributes)) authz.Attributes {
		a := allowed
		fn(&a)
		return a
	}
	tests := []struct {
		name  string
		attrs authz.Attributes
		want  authz.Decision
	}{
		{"allowed", allowed, authz.Allow},
		{"another user", with(func(a *authz.Attributes) { a.User = &user.Info{Name: "joe"} }), authz.NoOpinion},
		{"another user in the group", with(func(a *authz.Attributes) { a.User = &user.Info{Name: "joe", Groups: []string{"devs"}} }), authz.Allow},
		{"groups that encode alike when joined", with(func(a *authz.Attributes) { a.User = &user.Info{Name: "joe", Groups: []string{"de", "vs"}} }), authz.NoOpinion},
		{"another verb", with(func(a *authz.Attributes) { a.Verb = "delete" }), authz.NoOpinion},
		{"another group", with(func(a *authz.Attributes) { a.APIGroup = "apps" }), authz.NoOpinion},
		{"another resource", with(func(a *authz.Attributes) { a.Resource = "secrets" }), authz.NoOpinion},
		{"a subresource", with(func(a *authz.Attributes) { a.Subresource = "eviction" }), authz.NoOpinion},
		{"another namespace", with(func(a *authz.Attributes) { a.Namespace = "other" }), authz.NoOpinion},
		{"not a resource request", with(func(a *authz.Attributes) { a.ResourceRequest = false; a.Path = "/api" }), authz.NoOpinion},
	}
	// Twice over, so that the second pass is answered from the cache.
	for pass := range 2 {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/pass=%d", tt.name, pass), func(t *testing.T) {
				if got, _, _ := a.Authorize(context.Background(), tt.attrs); got != tt.want {
					t.Fatalf("Authorize = %v, want %v", got, tt.want)
				}
			})
		}
	}
}

// TestDecisionCacheIsBounded asks more distinct requests than the cache holds: it never holds
// more than its bound, and every request is still decided right.
func TestDecisionCacheIsBounded(t *testing.T) {
	tests := []struct {
		name     string
		size     int
		requests int
	}{
		{"bound of one", 1, 10},
		{"bound of eight", 8, 100},
		{"fewer requests than the bound", 64, 10},
		{"off", 0, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(nil)
			a.cacheSize = tt.size
			a.update(func(o *objects) {
				o.put(newClusterRole("pod-getter", ruleOf("get", "", "pods")), false)
				o.put(crb("jane", "pod-getter", userSubj("jane")), false)
			})
			a.markSynced()
			for i := range tt.requests {
				attrs := authz.Attributes{User: &user.Info{Name: "jane"}, Verb: "get", ResourceRequest: true, Resource: "pods",
					Namespace: "default", Name: fmt.Sprintf("p-%d", i)}
				if got, _, _ := a.Authorize(context.Background(), attrs); got != authz.Allow {
					t.Fatalf("request %d: Authorize = %v, want Allow", i, got)
				}
				attrs.Verb = "delete"
				if got, _, _ := a.Authorize(context.Background(), attrs); got != authz.NoOpinion {
					t.Fatalf("request %d: Authorize of a delete = %v, want NoOpinion", i, got)
				}
				if n := cached(a); n > tt.size {
					t.Fatalf("after request %d the cache holds %d decisions, more than its bound %d", i, n, tt.size)
				}
			}
			if want := min(tt.size, 2*tt.requests); cached(a) != want {
				t.Fatalf("the cache holds %d decisions, want %d", cached(a), want)
			}
		})
	}
}

// TestSameRequest checks the comparison a cached decision is found by: it tells apart users that
// differ in any way, and takes users built apart but alike for one.
func TestSameRequest(t *testing.T) {
	tests := []struct {
		name string
		a, b *user.Info
		same bool
	}{
		{"alike", &user.Info{Name: "u", UID: "1", Groups: []string{"a", "b"}, Extra: map[string][]string{"k": {"v"}, "l": {"w"}}},
			&user.Info{Name: "u", UID: "1", Groups: []string{"a", "b"}, Extra: map[string][]string{"l": {"w"}, "k": {"v"}}}, true},
		{"no extra and empty extra", &user.Info{Name: "u"}, &user.Info{Name: "u", Extra: map[string][]string{}}, true},
		{"name", &user.Info{Name: "u"}, &user.Info{Name: "v"}, false},
		{"uid", &user.Info{Name: "u", UID: "1"}, &user.Info{Name: "u", UID: "2"}, false},
		{"groups split differently", &user.Info{Name: "u", Groups: []string{"ab", "c"}}, &user.Info{Name: "u", Groups: []string{"a", "bc"}}, false},
		{"one group more", &user.Info{Name: "u", Groups: []string{"a"}}, &user.Info{Name: "u", Groups: []string{"a", "b"}}, false},
		{"extra key and value swapped", &user.Info{Name: "u", Extra: map[string][]string{"k": {"v"}}}, &user.Info{Name: "u", Extra: map[string][]string{"v": {"k"}}}, false},
		{"extra values split differently", &user.Info{Name: "u", Extra: map[string][]string{"k": {"ab", "c"}}}, &user.Info{Name: "u", Extra: map[string][]string{"k": {"a", "bc"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := authz.Attributes{User: tt.a, Verb: "get"}, authz.Attributes{User: tt.b, Verb: "get"}
			if got := sameRequest(&a, &b); got != tt.same {
				t.Fatalf("sameRequest = %v, want %v", got, tt.same)
			}
		})
	}
}

// TestCacheKeepsItsOwnCopy changes a user's groups after a decision was cached for it: the
// cached request is not changed with it, so the changed user is decided anew.
func TestCacheKeepsItsOwnCopy(t *testing.T) {
	a := loaded(newClusterRole("pod-getter", ruleOf("get", "", "pods")), crb("devs", "pod-getter", groupSubject("devs")))
	u := &user.Info{Name: "jane", Groups: []string{"devs"}}
	attrs := authz.Attributes{User: u, Verb: "get", ResourceRequest: true, Resource: "pods", Namespace: "default"}
	if got, _, _ := a.Authorize(context.Background(), attrs); got != authz.Allow {
		t.Fatalf("Authorize = %v, want Allow", got)
	}
	u.Groups[0] = "ops"
	if got, _, _ := a.Authorize(context.Background(), attrs); got != authz.NoOpinion {
		t.Fatalf("after the group changed Authorize = %v, want NoOpinion", got)
	}
}

// BenchmarkAuthorizeBootstrapEdit decides pod creates of an ordinary user whom a RoleBinding to
// the bootstrap edit ClusterRole (aggregated, as the apiserver serves it) lets create pods, on the
// whole bootstrap policy, with the decision cache and without.
func BenchmarkAuthorizeBootstrapEdit(b *testing.B) {
	roles := map[string]*rbacv1.ClusterRole{}
	for _, r := range ClusterRoles() {
		roles[r.GetMetadata().GetName()] = r
	}
	for range 3 {
		for name, rules := range aggregatedRules(roles) {
			r := proto.Clone(roles[name]).(*rbacv1.ClusterRole)
			r.Rules = rules
			roles[name] = r
		}
	}
	var objs []scheme.Object
	for _, r := range roles {
		objs = append(objs, r)
	}
	for _, r := range ClusterRoleBindings() {
		objs = append(objs, r)
	}
	objs = append(objs, rb("bench", "bench-user-edit", "ClusterRole", "edit", userSubj("bench-user")))
	attrs := authz.Attributes{User: &user.Info{Name: "bench-user", Groups: []string{user.AllAuthenticated}}, Verb: "create",
		ResourceRequest: true, APIVersion: "v1", Resource: "pods", Namespace: "bench"}
	for _, size := range []int{0, DefaultDecisionCacheSize} {
		b.Run(fmt.Sprintf("cache=%d", size), func(b *testing.B) {
			a := New(nil)
			a.cacheSize = size
			a.update(func(o *objects) {
				for _, obj := range objs {
					o.put(obj, false)
				}
			})
			a.markSynced()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d, _, _ := a.Authorize(ctx, attrs); d != authz.Allow {
					b.Fatalf("decision %v", d)
				}
			}
		})
	}
}
