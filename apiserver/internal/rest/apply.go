package rest

import (
	"net/http"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
)

// apply serves PATCH with application/apply-patch+yaml: server-side apply, done by the registry.
// A create answers 201, an update 200; a conflict with another manager's fields is 409 unless
// force=true.
func (h *Handler) apply(w http.ResponseWriter, r *http.Request, req *request, body []byte, dry bool) {
	q := r.URL.Query()
	force, err := queryBool(q, "force")
	if err != nil {
		writeError(w, err)
		return
	}
	out, created, err := req.store.Apply(r.Context(), req.namespace, req.name, body, registry.ApplyOptions{
		Subresource: req.subresource, DryRun: dry, FieldManager: q.Get("fieldManager"), Force: force,
	})
	if err != nil {
		writeError(w, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeObject(w, code, req.kind, out)
}

// managerName is the field manager a write is recorded under: the fieldManager parameter, or as
// Kubernetes defaults it, the User-Agent up to its first "/".
func managerName(r *http.Request) string {
	if m := r.URL.Query().Get("fieldManager"); m != "" {
		return m
	}
	return registry.ManagerFromUserAgent(r.UserAgent())
}
