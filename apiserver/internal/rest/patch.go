package rest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// patchRetries bounds how often a patch that does not pin a resourceVersion is re-applied to a
// newer object after losing a race.
const patchRetries = 5

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
	apply, err := patcher(req.kind, mediaType(r), body)
	if err != nil {
		writeError(w, err)
		return
	}
	// unknown holds the fields the last decode of the patched object dropped.
	var unknown []string
	codec := registry.PatchCodec{
		Encode: func(obj scheme.Object) ([]byte, error) { return kubejson.ToJSON(req.kind, obj, true) },
		Decode: func(doc []byte) (scheme.Object, error) {
			unknown = nil
			return kubejson.FromJSON(req.kind, doc, kubejson.DecodeOptions{Strict: fv == "Strict", Unknown: &unknown})
		},
	}
	out, _, err := req.store.Modify(r.Context(), req.namespace, req.name,
		registry.ModifyOptions{DryRun: dry, Subresource: req.subresource, Retries: patchRetries, FieldManager: managerName(r)},
		req.store.PatchFunc(req.name, codec, apply))
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
}

// patcher returns the function that applies patch of the given media type to a JSON document.
func patcher(k *scheme.Kind, mediaType string, patch []byte) (func([]byte) ([]byte, error), error) {
	switch mediaType {
	case registry.PatchMerge, registry.PatchJSON:
		if mediaType == registry.PatchMerge && !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the patch is not valid JSON")
		}
		return registry.Patcher(mediaType, patch)
	case registry.PatchStrategic:
		typed, ok := kubejson.NewTyped(k)
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
