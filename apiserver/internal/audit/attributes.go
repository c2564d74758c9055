package audit

import (
	"net/http"
	"strings"
)

// restRequest returns the verb and, for a resource request, the object reference of an HTTP
// request, read from its path and method as Kubernetes' RequestInfoFactory reads them: resource
// paths are /api/<version>/... and /apis/<group>/<version>/...; GET is get with a name, list
// without, watch with watch=true or under /watch/; DELETE without a name is deletecollection; a
// namespace's own status and finalize are its subresources. Any other path is a non-resource
// request whose verb is the lowercased method.
func restRequest(r *http.Request) (string, *ObjectRef) {
	verb := strings.ToLower(r.Method)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 3 || (parts[0] != "api" && parts[0] != "apis") {
		return verb, nil
	}
	ref := &ObjectRef{}
	if parts[0] == "apis" {
		if len(parts) < 4 {
			return verb, nil
		}
		ref.APIGroup, parts = parts[1], parts[2:]
	} else {
		parts = parts[1:]
	}
	ref.APIVersion, parts = parts[0], parts[1:]
	watch := false
	if parts[0] == "watch" {
		watch, parts = true, parts[1:]
	}
	if len(parts) > 1 && parts[0] == "namespaces" {
		ref.Namespace = parts[1]
		if len(parts) > 2 && parts[2] != "status" && parts[2] != "finalize" {
			parts = parts[2:]
		}
	}
	if len(parts) == 0 || parts[0] == "" {
		return verb, nil
	}
	ref.Resource = parts[0]
	if len(parts) > 1 {
		ref.Name = parts[1]
	}
	if len(parts) > 2 {
		ref.Subresource = strings.Join(parts[2:], "/")
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case watch || q.Get("watch") == "true" || q.Get("watch") == "1":
			verb = "watch"
		case ref.Name == "":
			verb = "list"
		default:
			verb = "get"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if ref.Name == "" {
			verb = "deletecollection"
		}
	}
	return verb, ref
}
