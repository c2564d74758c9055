package review

import (
	"context"
	"testing"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	authorizationv1 "github.com/keelson-dev/keelson/proto/authorization/v1"
	rbacv1 "github.com/keelson-dev/keelson/proto/rbac/v1"
)

// janeMayGetPods allows jane to get pods in default and anyone in group ops everything.
var janeMayGetPods = authz.Func(func(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
	if a.User.InGroup("ops") || (a.User.Name == "jane" && a.Verb == "get" && a.Resource == "pods" && a.Namespace == "default") {
		return authz.Allow, "allowed by test", nil
	}
	return authz.NoOpinion, "", nil
})

type fixedRules []*rbacv1.PolicyRule

func (f fixedRules) RulesFor(*user.Info, string) []*rbacv1.PolicyRule { return f }

func TestReviews(t *testing.T) {
	r := New(janeMayGetPods, fixedRules{
		{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"pods"}},
		{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}},
	})
	jane := user.NewContext(context.Background(), &user.Info{Name: "jane", UID: "1", Groups: []string{user.AllAuthenticated}})
	getPods := &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "default"}
	sar := func(u string, groups []string, ra *authorizationv1.ResourceAttributes) *authorizationv1.SubjectAccessReview {
		return &authorizationv1.SubjectAccessReview{Spec: &authorizationv1.SubjectAccessReviewSpec{User: u, Groups: groups, ResourceAttributes: ra}}
	}
	allowed := func(o scheme.Object) bool {
		switch v := o.(type) {
		case *authorizationv1.SubjectAccessReview:
			return v.GetStatus().GetAllowed()
		case *authorizationv1.LocalSubjectAccessReview:
			return v.GetStatus().GetAllowed()
		case *authorizationv1.SelfSubjectAccessReview:
			return v.GetStatus().GetAllowed()
		}
		return false
	}
	tests := []struct {
		name      string
		ctx       context.Context
		namespace string
		obj       scheme.Object
		allowed   bool
		invalid   bool
	}{
		{"subject allowed", context.Background(), "", sar("jane", nil, getPods), true, false},
		{"subject refused", context.Background(), "", sar("bob", nil, getPods), false, false},
		{"subject by group", context.Background(), "", sar("", []string{"ops"}, &authorizationv1.ResourceAttributes{Verb: "delete", Resource: "nodes"}), true, false},
		{"subject without user or group", context.Background(), "", sar("", nil, getPods), false, true},
		{"subject without attributes", context.Background(), "", sar("jane", nil, nil), false, true},
		{"local allowed", context.Background(), "default", &authorizationv1.LocalSubjectAccessReview{Spec: &authorizationv1.SubjectAccessReviewSpec{User: "jane", ResourceAttributes: getPods}}, true, false},
		{"local in another namespace", context.Background(), "prod", &authorizationv1.LocalSubjectAccessReview{Spec: &authorizationv1.SubjectAccessReviewSpec{User: "jane", ResourceAttributes: getPods}}, false, true},
		{"self allowed", jane, "", &authorizationv1.SelfSubjectAccessReview{Spec: &authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: getPods}}, true, false},
		{"self refused", jane, "", &authorizationv1.SelfSubjectAccessReview{Spec: &authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods", Namespace: "default"}}}, false, false},
		{"self without a user", context.Background(), "", &authorizationv1.SelfSubjectAccessReview{Spec: &authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: getPods}}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := r.Create(tc.ctx, tc.namespace, tc.obj)
			if tc.invalid {
				if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
					t.Fatalf("Create = %v, want Invalid or BadRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := allowed(out); got != tc.allowed {
				t.Errorf("allowed = %v, want %v", got, tc.allowed)
			}
		})
	}
}

func TestSelfSubjectRulesAndWhoAmI(t *testing.T) {
	r := New(janeMayGetPods, fixedRules{
		{Verbs: []string{"get"}, ApiGroups: []string{""}, Resources: []string{"pods"}},
		{Verbs: []string{"get"}, NonResourceUrls: []string{"/healthz"}},
	})
	jane := user.NewContext(context.Background(), &user.Info{Name: "jane", UID: "1", Groups: []string{user.AllAuthenticated}})
	out, err := r.Create(jane, "", &authorizationv1.SelfSubjectRulesReview{Spec: &authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	st := out.(*authorizationv1.SelfSubjectRulesReview).GetStatus()
	if len(st.GetResourceRules()) != 1 || len(st.GetNonResourceRules()) != 1 || st.GetIncomplete() {
		t.Errorf("rules review status %v", st)
	}
	out, err = r.Create(jane, "", &authenticationv1.SelfSubjectReview{})
	if err != nil {
		t.Fatal(err)
	}
	ui := out.(*authenticationv1.SelfSubjectReview).GetStatus().GetUserInfo()
	if ui.GetUsername() != "jane" || ui.GetUid() != "1" || len(ui.GetGroups()) != 1 {
		t.Errorf("whoami = %v", ui)
	}
	out, err = New(janeMayGetPods, nil).Create(jane, "", &authorizationv1.SelfSubjectRulesReview{Spec: &authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}})
	if err != nil || !out.(*authorizationv1.SelfSubjectRulesReview).GetStatus().GetIncomplete() {
		t.Errorf("without a rule resolver the review is incomplete: %v %v", out, err)
	}
}
