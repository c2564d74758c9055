package rest

import (
	"encoding/json"
	"net/http"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

// evict serves POST pods/<name>/eviction: it decodes the policy/v1 Eviction and hands it to the
// registry, answering an allowed eviction with 201 and a Success Status as Kubernetes does.
func (h *Handler) evict(w http.ResponseWriter, r *http.Request, req *request) {
	if r.Method != http.MethodPost || req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/eviction", methodVerb(r)))
		return
	}
	body, dry, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if mediaType(r) != "application/json" {
		writeError(w, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type")))
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		writeError(w, apierrors.NewBadRequest("the body of the request is not an Eviction: %v", err))
		return
	}
	if kind, ok := m["kind"]; ok && kind != "Eviction" {
		writeError(w, apierrors.NewBadRequest("the kind in the data (%v) does not match the expected kind (Eviction)", kind))
		return
	}
	delete(m, "kind")
	delete(m, "apiVersion")
	ev := &policyv1.Eviction{}
	if err := kubejson.MapToMessage(m, ev, kubejson.DecodeOptions{}); err != nil {
		writeError(w, err)
		return
	}
	if err := req.store.Evict(r.Context(), req.namespace, req.name, ev, dry); err != nil {
		writeError(w, err)
		return
	}
	st := successStatus("", "pods", req.name, "")
	st.Code = http.StatusCreated
	writeJSON(w, http.StatusCreated, st)
}
