package rest

import (
	"net/http"
	"strconv"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// get serves GET of one object, as JSON or as a one-row Table.
func (h *Handler) get(w http.ResponseWriter, r *http.Request, req *request) {
	if req.subresource == "binding" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/binding", "get"))
		return
	}
	obj, err := req.store.Get(r.Context(), req.namespace, req.name, registry.GetOptions{
		ResourceVersion: r.URL.Query().Get("resourceVersion"),
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if wantsTable(r) {
		t, err := h.table(r, req.kind, []scheme.Object{obj}, obj.GetMetadata().GetResourceVersion(), "")
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
		return
	}
	writeObject(w, http.StatusOK, req.kind, obj)
}

// list serves GET of a collection, as a <Kind>List or as a Table.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	opts := registry.ListOptions{
		LabelSelector:   q.Get("labelSelector"),
		FieldSelector:   q.Get("fieldSelector"),
		Continue:        q.Get("continue"),
		ResourceVersion: q.Get("resourceVersion"),
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			writeError(w, apierrors.NewBadRequest("invalid limit %q: %v", s, err))
			return
		}
		opts.Limit = n
	}
	if q.Get("sendInitialEvents") != "" {
		writeError(w, invalidParam("sendInitialEvents", "sendInitialEvents is forbidden for list"))
		return
	}
	res, err := req.store.List(r.Context(), req.namespace, opts)
	if err != nil {
		writeError(w, err)
		return
	}
	if wantsTable(r) {
		t, err := h.table(r, req.kind, res.Items, res.ResourceVersion, res.Continue)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
		return
	}
	items := make([]any, 0, len(res.Items))
	for _, o := range res.Items {
		m, err := toMap(req.kind, o)
		if err != nil {
			writeError(w, apierrors.NewInternal(err))
			return
		}
		// Kubernetes leaves apiVersion and kind out of list items.
		delete(m, "apiVersion")
		delete(m, "kind")
		items = append(items, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"apiVersion": req.kind.APIVersion(),
		"kind":       req.kind.Kind + "List",
		"metadata":   listMeta{ResourceVersion: res.ResourceVersion, Continue: res.Continue},
		"items":      items,
	})
}

type listMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Continue        string `json:"continue,omitempty"`
}

// writeObject writes obj as Kubernetes JSON with apiVersion and kind.
func writeObject(w http.ResponseWriter, code int, k *scheme.Kind, obj scheme.Object) {
	m, err := toMap(k, obj)
	if err != nil {
		writeError(w, apierrors.NewInternal(err))
		return
	}
	writeJSON(w, code, m)
}

// invalidParam is the 422 Kubernetes returns for a query parameter it refuses.
func invalidParam(field, msg string) error {
	return &apierrors.StatusError{
		Reason:  apierrors.ReasonInvalid,
		Code:    http.StatusUnprocessableEntity,
		Message: "ListOptions.meta.k8s.io \"\" is invalid: " + field + ": Forbidden: " + msg,
		Details: &apierrors.Details{Group: "meta.k8s.io", Kind: "ListOptions",
			Causes: []apierrors.Cause{{Type: "FieldValueForbidden", Message: "Forbidden: " + msg, Field: field}}},
	}
}
