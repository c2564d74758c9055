package authz_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

func decide(d authz.Decision, reason string, err error) authz.Authorizer {
	return authz.Func(func(context.Context, authz.Attributes) (authz.Decision, string, error) { return d, reason, err })
}

func TestUnion(t *testing.T) {
	errBroken := errors.New("broken")
	tests := []struct {
		name       string
		authz      []authz.Authorizer
		want       authz.Decision
		wantReason string
		wantErr    error
	}{
		{"none", nil, authz.NoOpinion, "", nil},
		{"first opinion decides", []authz.Authorizer{decide(authz.NoOpinion, "", nil), decide(authz.Deny, "no", nil), authz.AlwaysAllow}, authz.Deny, "no", nil},
		{"allow", []authz.Authorizer{decide(authz.NoOpinion, "", nil), authz.AlwaysAllow, authz.AlwaysDeny}, authz.Allow, "", nil},
		{"an error lets the next decide", []authz.Authorizer{decide(authz.NoOpinion, "", errBroken), authz.AlwaysAllow}, authz.Allow, "", nil},
		{"no opinion keeps reasons and error", []authz.Authorizer{decide(authz.NoOpinion, "a", errBroken), decide(authz.NoOpinion, "b", nil)}, authz.NoOpinion, "a\nb", errBroken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, reason, err := authz.Union(tt.authz...).Authorize(context.Background(), authz.Attributes{})
			require.Equal(t, tt.want, d)
			require.Equal(t, tt.wantReason, reason)
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestForbidden(t *testing.T) {
	alice := &user.Info{Name: "alice"}
	tests := []struct {
		name   string
		attrs  authz.Attributes
		reason string
		want   string
	}{
		{"create in a namespace", authz.Attributes{User: alice, Verb: "create", ResourceRequest: true, APIVersion: "v1", Resource: "pods", Namespace: "default"}, "",
			`pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"`},
		{"named object of a group", authz.Attributes{User: alice, Verb: "get", ResourceRequest: true, APIGroup: "apps", APIVersion: "v1", Resource: "deployments", Namespace: "team", Name: "web"}, "",
			`deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "team"`},
		{"cluster scope", authz.Attributes{User: alice, Verb: "list", ResourceRequest: true, APIVersion: "v1", Resource: "nodes"}, "",
			`nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{"subresource", authz.Attributes{User: alice, Verb: "get", ResourceRequest: true, APIVersion: "v1", Resource: "pods", Subresource: "log", Namespace: "default", Name: "web"}, "",
			`pods "web" is forbidden: User "alice" cannot get resource "pods/log" in API group "" in the namespace "default"`},
		{"non-resource path", authz.Attributes{User: &user.Info{Name: "system:anonymous"}, Verb: "get", Path: "/metrics"}, "",
			`forbidden: User "system:anonymous" cannot get path "/metrics"`},
		{"with a reason", authz.Attributes{User: alice, Verb: "delete", ResourceRequest: true, APIVersion: "v1", Resource: "secrets", Namespace: "kube-system", Name: "s"}, "no RBAC policy matched",
			`secrets "s" is forbidden: User "alice" cannot delete resource "secrets" in API group "" in the namespace "kube-system": no RBAC policy matched`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authz.Forbidden(tt.attrs, tt.reason)
			require.Equal(t, tt.want, err.Message)
			require.EqualValues(t, 403, err.Code)
			require.Equal(t, "Forbidden", string(err.Reason))
			require.Equal(t, tt.attrs.Resource, err.Details.Kind)
			require.Equal(t, tt.attrs.Name, err.Details.Name)
			require.Equal(t, tt.attrs.APIGroup, err.Details.Group)
		})
	}
}
