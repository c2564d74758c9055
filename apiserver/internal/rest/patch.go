package rest

import (
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// patchRetries bounds how often a patch that does not pin a resourceVersion is re-applied to a
// newer object after losing a race.
const patchRetries = 5

// patch serves PATCH of an object or its status with a JSON merge patch, a JSON patch or a
// strategic merge patch (server-side apply goes to apply). The patch is applied to the object's Kubernetes JSON form, so paths and
// values are the ones Kubernetes clients compute, and the result is stored by a conditional update
// through the registry.
func (h *Handler) patch(w http.ResponseWriter, r *http.Request, req *request) {
	if req.name == "" || (req.subresource != "" && req.subresource != "status") {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, "patch"))
		return
	}
	body, dry, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if mediaType(r) == registry.PatchApply {
		h.apply(w, r, req, body, dry)
		return
	}
	fv, err := fieldValidation(r)
	if err != nil {
		writeError(w, err)
		return
	}
	apply, err := patcher(req.kind, mediaType(r), body)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	for attempt := 0; ; attempt++ {
		cur, err := req.store.Get(ctx, req.namespace, req.name, registry.GetOptions{})
		if err != nil {
			writeError(w, err)
			return
		}
		curRV := cur.GetMetadata().GetResourceVersion()
		doc, err := toMap(req.kind, cur)
		if err != nil {
			writeError(w, apierrors.NewInternal(err))
			return
		}
		orig, err := json.Marshal(doc)
		if err != nil {
			writeError(w, apierrors.NewInternal(err))
			return
		}
		patched, err := apply(orig)
		if err != nil {
			writeError(w, apierrors.NewBadRequest("unable to apply patch to %s %q: %v", req.kind.Kind, req.name, err))
			return
		}
		var unknown []string
		obj, err := fromJSON(req.kind, patched, decodeOptions{Strict: fv == "Strict", Unknown: &unknown})
		if err != nil {
			writeError(w, err)
			return
		}
		m := scheme.Meta(obj)
		if m.Name != req.name {
			writeError(w, apierrors.NewBadRequest("the patch may not change metadata.name (from %q to %q)", req.name, m.Name))
			return
		}
		pinned := m.ResourceVersion != curRV
		if m.ResourceVersion == "" {
			m.ResourceVersion = curRV
		}
		if req.subresource == "" {
			if err := h.trackUpdate(r, req.kind, cur, obj); err != nil {
				writeError(w, err)
				return
			}
		}
		out, err := req.store.Update(ctx, req.namespace, obj, registry.UpdateOptions{
			DryRun:       dry,
			FieldManager: r.URL.Query().Get("fieldManager"),
			Subresource:  req.subresource,
		})
		if apierrors.IsConflict(err) && !pinned && attempt < patchRetries {
			continue
		}
		if err != nil {
			writeError(w, err)
			return
		}
		if fv == "Warn" {
			for _, u := range unknown {
				w.Header().Add("Warning", fmt.Sprintf("299 - %q", fmt.Sprintf("unknown field %q", u)))
			}
		}
		writeObject(w, http.StatusOK, req.kind, out)
		return
	}
}

// patcher returns the function that applies patch of the given media type to a JSON document.
func patcher(k *scheme.Kind, mediaType string, patch []byte) (func([]byte) ([]byte, error), error) {
	switch mediaType {
	case registry.PatchMerge:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the patch is not valid JSON")
		}
		return func(doc []byte) ([]byte, error) { return jsonpatch.MergePatch(doc, patch) }, nil
	case registry.PatchJSON:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest("invalid JSON patch: %v", err)
		}
		return p.Apply, nil
	case registry.PatchStrategic:
		typed, ok := k8sObject(k)
		if !ok {
			return nil, apierrors.NewUnsupportedMediaType(mediaType)
		}
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the patch is not valid JSON")
		}
		return func(doc []byte) ([]byte, error) { return strategicpatch.StrategicMergePatch(doc, patch, typed) }, nil
	default:
		return nil, &apierrors.StatusError{
			Reason: apierrors.ReasonUnsupportedMediaType,
			Code:   http.StatusUnsupportedMediaType,
			Message: "the body of the request was in an unknown format - accepted media types include: " +
				"application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; got \"" + mediaType + "\"",
		}
	}
}
