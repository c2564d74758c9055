package rest

import (
	"encoding/json"
	"net/http"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// eviction is policy/v1 Eviction as its JSON body carries it.
type eviction struct {
	Kind          string                `json:"kind"`
	Metadata      struct{ Name string } `json:"metadata"`
	DeleteOptions *deleteOptions        `json:"deleteOptions"`
}

// evict serves POST pods/<name>/eviction: Keelson has no disruption budgets, so an eviction is
// the pod's delete with the eviction's delete options (grace period, preconditions), answered with
// 201 and a Success Status as Kubernetes answers an allowed eviction.
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
	var ev eviction
	if err := json.Unmarshal(body, &ev); err != nil {
		writeError(w, apierrors.NewBadRequest("the body of the request is not an Eviction: %v", err))
		return
	}
	if ev.Kind != "" && ev.Kind != "Eviction" {
		writeError(w, apierrors.NewBadRequest("the kind in the data (%s) does not match the expected kind (Eviction)", ev.Kind))
		return
	}
	if ev.Metadata.Name != "" && ev.Metadata.Name != req.name {
		writeError(w, apierrors.NewBadRequest("name in URL does not match name in Eviction object"))
		return
	}
	opts := registry.DeleteOptions{DryRun: dry}
	if do := ev.DeleteOptions; do != nil {
		opts.GracePeriodSeconds = do.GracePeriodSeconds
		opts.PropagationPolicy = do.PropagationPolicy
		if do.Preconditions != nil {
			opts.PreconditionUID, opts.PreconditionResourceVersion = do.Preconditions.UID, do.Preconditions.ResourceVersion
		}
		for _, v := range do.DryRun {
			if v != "All" {
				writeError(w, apierrors.NewBadRequest("dryRun may only be All, not %q", v))
				return
			}
			opts.DryRun = true
		}
	}
	if _, _, err := req.store.Delete(r.Context(), req.namespace, req.name, opts); err != nil {
		writeError(w, err)
		return
	}
	st := successStatus("", "pods", req.name, "")
	st.Code = http.StatusCreated
	writeJSON(w, http.StatusCreated, st)
}
