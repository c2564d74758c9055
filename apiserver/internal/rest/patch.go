package rest

import (
	"encoding/json"
	"net/http"

	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// patch serves PATCH of an object or its status with a JSON merge patch, a JSON patch or a
// strategic merge patch (server-side apply goes to apply). The patch is applied to the object's
// Kubernetes JSON form, so paths and values are the ones Kubernetes clients compute, and the result
// is stored by the registry's conditional update.
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
	apply, err := patcher(req.store, req.kind, mediaType(r), body)
	if err != nil {
		writeError(w, err)
		return
	}
	// patchWarnings are the patch body's own; warnings those of the last decode of the patched
	// object, which a retry decodes again.
	var patchWarnings, warnings []string
	if err := checkPatchFields(fv, body, &patchWarnings); err != nil {
		writeError(w, err)
		return
	}
	codec := registry.PatchCodec{
		Encode: func(obj scheme.Object) ([]byte, error) { return kubejson.ToJSON(req.kind, obj, true) },
		Decode: func(doc []byte) (scheme.Object, error) {
			warnings = nil
			opts := decodeOptions(fv, &warnings)
			// The patched document comes from an encoder: it repeats no key.
			opts.SkipDuplicates = true
			return kubejson.FromJSON(req.kind, doc, opts)
		},
	}
	out, _, err := req.store.Modify(r.Context(), req.namespace, req.name,
		registry.ModifyOptions{DryRun: dry, Subresource: req.subresource, FieldManager: managerName(r)},
		req.store.PatchFunc(req.name, codec, apply))
	if err != nil {
		writeError(w, err)
		return
	}
	addWarnings(w, append(patchWarnings, warnings...))
	writeObject(w, http.StatusOK, req.kind, out)
}

// patcher returns the function that applies patch of the given media type to a JSON document.
func patcher(st *registry.Store, k *scheme.Kind, mediaType string, patch []byte) (func([]byte) ([]byte, error), error) {
	switch mediaType {
	case registry.PatchMerge, registry.PatchJSON:
		if mediaType == registry.PatchMerge && !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the patch is not valid JSON")
		}
		return st.Patcher(mediaType, patch)
	case registry.PatchStrategic:
		typed, ok := kubejson.NewTyped(k)
		if !ok {
			return nil, apierrors.NewUnsupportedMediaType(mediaType)
		}
		return strategicPatcher(st, patch, typed)
	default:
		return nil, &apierrors.StatusError{
			Reason: apierrors.ReasonUnsupportedMediaType,
			Code:   http.StatusUnsupportedMediaType,
			Message: "the body of the request was in an unknown format - accepted media types include: " +
				"application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; got \"" + mediaType + "\"",
		}
	}
}

// strategicPatcher returns the function that applies a strategic merge patch to a JSON document of
// the Kubernetes Go type of schema, which says how lists merge and which directives ($patch,
// $retainKeys, ...) are known; a directive it does not know fails the patch. The patched document
// is held to st's limits.
func strategicPatcher(st *registry.Store, patch []byte, schema any) (func([]byte) ([]byte, error), error) {
	if !json.Valid(patch) {
		return nil, apierrors.NewBadRequest("the patch is not valid JSON")
	}
	return st.BoundPatched(func(doc []byte) ([]byte, error) { return strategicpatch.StrategicMergePatch(doc, patch, schema) }), nil
}
