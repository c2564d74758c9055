package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// get serves GET of one object, as JSON or as a one-row Table.
func (h *Handler) get(w http.ResponseWriter, r *http.Request, req *request) {
	if req.subresource == "binding" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/binding", "get"))
		return
	}
	rv, err := readVersion(r.URL.Query().Get("resourceVersion"), "")
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := req.store.Get(r.Context(), req.namespace, req.name, registry.GetOptions{ResourceVersion: rv})
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
	rv, err := readVersion(q.Get("resourceVersion"), q.Get("resourceVersionMatch"))
	if err != nil {
		writeError(w, err)
		return
	}
	notOlderThan := int64(0)
	if rv == "" && q.Get("resourceVersion") != "" {
		notOlderThan, _ = strconv.ParseInt(q.Get("resourceVersion"), 10, 64)
	}
	opts := registry.ListOptions{
		LabelSelector:   q.Get("labelSelector"),
		FieldSelector:   q.Get("fieldSelector"),
		Continue:        q.Get("continue"),
		ResourceVersion: rv,
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
	// A list has no use for bookmarks, but a value no client could mean is still refused.
	if _, err := queryBool(q, "allowWatchBookmarks"); err != nil {
		writeError(w, err)
		return
	}
	res, err := req.store.List(r.Context(), req.namespace, opts)
	if err != nil {
		writeError(w, err)
		return
	}
	// The latest state is older than the version asked for only when that version was never
	// handed out: Kubernetes answers it so.
	if got, _ := strconv.ParseInt(res.ResourceVersion, 10, 64); got < notOlderThan {
		writeError(w, apierrors.NewTimeout(fmt.Sprintf("Too large resource version: %d, current: %d", notOlderThan, got), 1))
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
	items := make([]json.RawMessage, 0, len(res.Items))
	for _, o := range res.Items {
		// Kubernetes leaves apiVersion and kind out of list items.
		b, err := kubejson.ToJSON(req.kind, o, false)
		if err != nil {
			writeError(w, apierrors.NewInternal(err))
			return
		}
		items = append(items, b)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"apiVersion": req.kind.APIVersion(),
		"kind":       req.kind.Kind + "List",
		"metadata":   listMeta{ResourceVersion: res.ResourceVersion, Continue: res.Continue},
		"items":      items,
	})
}

// readVersion maps Kubernetes' resourceVersion and resourceVersionMatch to the registry's read
// version: "" (latest, consistent), "0" (the watch cache) or an exact revision. Kubernetes serves a
// version N without a match, or with NotOlderThan, from any state at least as new as N: the latest
// state is such a state. Exact reads revision N itself.
func readVersion(rv, match string) (string, error) {
	switch match {
	case "":
		if rv == "" || rv == "0" {
			return rv, nil
		}
	case "NotOlderThan":
		if rv == "" {
			return "", invalidParam("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided")
		}
		if rv == "0" {
			return rv, nil
		}
	case "Exact":
		if rv == "" || rv == "0" {
			return "", invalidParam("resourceVersionMatch", "resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\" or unset")
		}
		return rv, nil
	default:
		return "", invalidParam("resourceVersionMatch", fmt.Sprintf("resourceVersionMatch must be Exact or NotOlderThan, not %q", match))
	}
	if n, err := strconv.ParseInt(rv, 10, 64); err != nil || n < 0 {
		return "", apierrors.NewBadRequest("invalid resource version %q: must be a non-negative integer", rv)
	}
	return "", nil
}

type listMeta struct {
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Continue        string `json:"continue,omitempty"`
}

// writeObject writes obj as Kubernetes JSON with apiVersion and kind.
func writeObject(w http.ResponseWriter, code int, k *scheme.Kind, obj scheme.Object) {
	m, err := kubejson.ToMap(k, obj)
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
