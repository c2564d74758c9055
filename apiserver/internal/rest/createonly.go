package rest

import (
	"net/http"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// createOnly serves a create-only kind: POST to its collection answers 201 with the computed
// object (Kubernetes answers reviews with 201 Created); every other request is refused.
func (h *Handler) createOnly(w http.ResponseWriter, r *http.Request, req *request) {
	if r.Method != http.MethodPost || req.name != "" || req.subresource != "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, methodVerb(r)))
		return
	}
	body, _, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := decodeObject(w, r, req.kind, body)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := h.reg.CreateOnly(r.Context(), req.kind, req.namespace, obj)
	if err != nil {
		writeError(w, err)
		return
	}
	writeObject(w, http.StatusCreated, req.kind, out)
}
