package authz

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// AlwaysDeny denies every request (--authorization-mode=AlwaysDeny, for tests).
var AlwaysDeny Authorizer = Func(func(context.Context, Attributes) (Decision, string, error) {
	return Deny, "", nil
})

// Union asks authorizers in order (--authorization-mode's order); the first that allows or denies
// decides, with its reason. When none does, the decision is NoOpinion with the reasons they gave,
// joined; an authorizer's error is remembered and the next asked, as Kubernetes does, and is
// returned only when no later one decides.
func Union(authorizers ...Authorizer) Authorizer {
	return Func(func(ctx context.Context, a Attributes) (Decision, string, error) {
		var reasons []string
		var firstErr error
		for _, z := range authorizers {
			d, reason, err := z.Authorize(ctx, a)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if d == Allow || d == Deny {
				return d, reason, nil
			}
			if reason != "" {
				reasons = append(reasons, reason)
			}
		}
		return NoOpinion, strings.Join(reasons, "\n"), firstErr
	})
}

// Forbidden is the error of a refused request, with Kubernetes' message: for a resource request
// `pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the
// namespace "default"` (without the name when the request names none, "at the cluster scope"
// without a namespace, "pods/log" with a subresource), for any other `forbidden: User "alice"
// cannot get path "/metrics"`; a non-empty reason follows after ": ". Its details name the group,
// the resource as kind, and the name.
func Forbidden(a Attributes, reason string) *apierrors.StatusError {
	name := ""
	if a.User != nil {
		name = a.User.Name
	}
	var msg string
	switch {
	case !a.ResourceRequest:
		msg = fmt.Sprintf("User %q cannot %s path %q", name, a.Verb, a.Path)
	default:
		resource := a.Resource
		if a.Subresource != "" {
			resource += "/" + a.Subresource
		}
		if a.Namespace != "" {
			msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q in the namespace %q", name, a.Verb, resource, a.APIGroup, a.Namespace)
		} else {
			msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q at the cluster scope", name, a.Verb, resource, a.APIGroup)
		}
	}
	if reason != "" {
		msg += ": " + reason
	}
	var object string
	switch {
	case a.Resource == "" && a.APIGroup == "":
		object = "forbidden"
	case a.Name == "":
		object = groupResource(a.APIGroup, a.Resource) + " is forbidden"
	default:
		object = fmt.Sprintf("%s %q is forbidden", groupResource(a.APIGroup, a.Resource), a.Name)
	}
	return &apierrors.StatusError{
		Reason:  apierrors.ReasonForbidden,
		Code:    http.StatusForbidden,
		Message: object + ": " + msg,
		Details: &apierrors.Details{Group: a.APIGroup, Kind: a.Resource, Name: a.Name},
	}
}

// groupResource is "resource.group", or "resource" for the core group, as Kubernetes writes it.
func groupResource(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}
