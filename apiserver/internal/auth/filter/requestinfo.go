package filter

import (
	"net/http"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/pkg/fields"
)

// RESTAttributes returns what an HTTP request asks, without its user, as Kubernetes'
// RequestInfoFactory works it out: /api/<version>/... and /apis/<group>/<version>/... paths of at
// least a resource are resource requests (verb from the method: get, list (get without a name),
// watch (watch=true or a /watch/ path), create, update, patch, delete, deletecollection (delete
// without a name); namespace, resource, name and subresource from the path; a list or watch with
// the field selector metadata.name=<name> names that object); every other path is a non-resource
// request whose verb is the lowercased method.
func RESTAttributes(r *http.Request) authz.Attributes {
	path := r.URL.Path
	a := authz.Attributes{Path: path, Verb: strings.ToLower(r.Method)}
	parts := splitPath(path)
	if len(parts) < 3 || (parts[0] != "api" && parts[0] != "apis") {
		return a
	}
	prefix := parts[0]
	parts = parts[1:]
	if prefix == "apis" {
		if len(parts) < 3 {
			return a
		}
		a.APIGroup, parts = parts[0], parts[1:]
	}
	a.ResourceRequest = true
	a.APIVersion, parts = parts[0], parts[1:]

	if parts[0] == "watch" {
		a.Verb = "watch"
		parts = parts[1:]
	} else {
		a.Verb = methodVerb(r.Method)
	}
	if len(parts) > 0 && parts[0] == "namespaces" && len(parts) > 1 {
		a.Namespace = parts[1]
		// namespaces/<ns>/status and /finalize are the namespace's own subresources.
		if len(parts) > 2 && parts[2] != "status" && parts[2] != "finalize" {
			parts = parts[2:]
		}
	}
	switch {
	case len(parts) >= 3:
		a.Subresource = parts[2]
		fallthrough
	case len(parts) == 2:
		a.Name = parts[1]
		fallthrough
	case len(parts) == 1:
		a.Resource = parts[0]
	}

	if a.Name == "" && (a.Verb == "get" || a.Verb == "watch") {
		q := r.URL.Query()
		if a.Verb == "get" {
			a.Verb = "list"
			if w, ok := q["watch"]; ok && len(w) > 0 && !isFalse(w[0]) {
				a.Verb = "watch"
			}
		}
		if sel, err := fields.Parse(q.Get("fieldSelector")); err == nil {
			if name, ok := sel.RequiresExactMatch("metadata.name"); ok && validPathSegment(name) {
				a.Name = name
			}
		}
	}
	if a.Name == "" && a.Verb == "delete" {
		a.Verb = "deletecollection"
	}
	return a
}

// methodVerb is a resource request's verb by HTTP method, before list, watch and
// deletecollection are told apart.
func methodVerb(method string) string {
	switch method {
	case http.MethodPost:
		return "create"
	case http.MethodGet, http.MethodHead:
		return "get"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	default:
		return ""
	}
}

// isFalse reports whether a boolean query parameter says false, as Kubernetes reads one: every
// value but "false" and "0" (any case) is true, the empty one included.
func isFalse(v string) bool {
	v = strings.ToLower(v)
	return v == "false" || v == "0"
}

// validPathSegment reports whether name could be a path segment naming an object.
func validPathSegment(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/%")
}

// splitPath returns the segments of a path without its leading and trailing slashes.
func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}
