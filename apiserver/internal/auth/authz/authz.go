// Package authz decides whether a user may do what a request asks. Each mode (RBAC, Node,
// AlwaysAllow, AlwaysDeny) is an Authorizer; the apiserver asks them in --authorization-mode's
// order and the first that allows or denies decides.
package authz

import (
	"context"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// Decision is an authorizer's answer.
type Decision int

const (
	// NoOpinion lets the next authorizer decide; when none does the request is refused.
	NoOpinion Decision = iota
	// Allow lets the request through.
	Allow
	// Deny refuses the request, whatever later authorizers would say.
	Deny
)

// Attributes are what a request asks, as Kubernetes' authorizer.Attributes describe it.
type Attributes struct {
	User *user.Info
	// Verb is get, list, watch, create, update, patch, delete or deletecollection for a resource
	// request; the lowercased HTTP method for any other path; or a special verb (bind, escalate,
	// impersonate, approve, sign) when a check asks for one.
	Verb string
	// ResourceRequest is true for /api and /apis resource paths and every gRPC resource call.
	ResourceRequest bool
	APIGroup        string
	APIVersion      string
	Resource        string
	Subresource     string
	Namespace       string
	Name            string
	// Path is the request path of a non-resource request (/healthz, /version, /api).
	Path string
}

// Authorizer judges requests.
type Authorizer interface {
	// Authorize returns the decision and, for Allow and Deny, the reason to log or show.
	Authorize(ctx context.Context, a Attributes) (Decision, string, error)
}

// Func adapts a function to Authorizer.
type Func func(ctx context.Context, a Attributes) (Decision, string, error)

// Authorize calls f.
func (f Func) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	return f(ctx, a)
}

// AlwaysAllow allows every request (--authorization-mode=AlwaysAllow, for development only).
var AlwaysAllow Authorizer = Func(func(context.Context, Attributes) (Decision, string, error) {
	return Allow, "", nil
})
