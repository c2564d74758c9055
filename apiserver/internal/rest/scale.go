package rest

import (
	"encoding/json"
	"net/http"
	"strconv"

	k8sautoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// scale serves the <workload>/scale subresource as an autoscaling/v1 Scale: GET reads spec and
// status replicas and the selector; PUT and PATCH change spec.replicas through a conditional update
// of the workload. A Scale carrying a resourceVersion fails with Conflict when the workload moved on.
func (h *Handler) scale(w http.ResponseWriter, r *http.Request, req *request) {
	if req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/scale", "list"))
		return
	}
	switch r.Method {
	case http.MethodGet:
		obj, err := req.store.Get(r.Context(), req.namespace, req.name, registry.GetOptions{})
		if err != nil {
			writeError(w, err)
			return
		}
		writeScaleOf(w, req.kind, obj)
	case http.MethodPut, http.MethodPatch:
		h.writeScale(w, r, req)
	default:
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/scale", methodVerb(r)))
	}
}

func (h *Handler) writeScale(w http.ResponseWriter, r *http.Request, req *request) {
	body, dry, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var apply func([]byte) ([]byte, error)
	if r.Method == http.MethodPut {
		if mediaType(r) != "application/json" {
			writeError(w, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type")))
			return
		}
		apply = func([]byte) ([]byte, error) { return body, nil }
	} else if apply, err = scalePatcher(mediaType(r), body); err != nil {
		writeError(w, err)
		return
	}
	stored, _, err := req.store.Modify(r.Context(), req.namespace, req.name,
		registry.ModifyOptions{DryRun: dry, Retries: patchRetries},
		func(cur scheme.Object) (scheme.Object, error) { return h.scaled(r, req, cur, apply) })
	if err != nil {
		writeError(w, err)
		return
	}
	writeScaleOf(w, req.kind, stored)
}

// writeScaleOf writes the Scale of workload, a k.
func writeScaleOf(w http.ResponseWriter, k *scheme.Kind, workload scheme.Object) {
	sc, err := scaleOf(k, workload)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sc)
}

// scaled returns the workload cur with the spec.replicas of the Scale apply makes of cur's. A
// resourceVersion in that Scale pins the workload's.
func (h *Handler) scaled(r *http.Request, req *request, cur scheme.Object, apply func([]byte) ([]byte, error)) (scheme.Object, error) {
	curScale, err := scaleOf(req.kind, cur)
	if err != nil {
		return nil, err
	}
	orig, err := json.Marshal(curScale)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	out, err := apply(orig)
	if err != nil {
		return nil, apierrors.NewBadRequest("unable to apply patch to Scale %q: %v", req.name, err)
	}
	var next k8sautoscalingv1.Scale
	if err := json.Unmarshal(out, &next); err != nil {
		return nil, apierrors.NewBadRequest("the body of the request is not a Scale: %v", err)
	}
	if next.Name != "" && next.Name != req.name {
		return nil, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", next.Name, req.name)
	}
	if next.Spec.Replicas < 0 {
		return nil, apierrors.NewInvalid("autoscaling", "Scale", req.name, []apierrors.Cause{{
			Type: "FieldValueInvalid", Field: "spec.replicas",
			Message: "Invalid value: " + strconv.Itoa(int(next.Spec.Replicas)) + ": must be greater than or equal to 0"}})
	}
	doc, err := toMap(req.kind, cur)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	spec, _ := doc["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		doc["spec"] = spec
	}
	spec["replicas"] = next.Spec.Replicas
	obj, err := fromValue(req.kind, doc)
	if err != nil {
		return nil, err
	}
	if next.ResourceVersion != "" {
		obj.GetMetadata().ResourceVersion = next.ResourceVersion
	}
	if err := h.trackUpdate(r, req.kind, cur, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// scalePatcher applies a patch to a Scale's JSON.
func scalePatcher(mediaType string, patch []byte) (func([]byte) ([]byte, error), error) {
	if mediaType == registry.PatchStrategic {
		// A Scale has no lists, so a strategic merge patch is a merge patch.
		mediaType = registry.PatchMerge
	}
	return patcher(nil, mediaType, patch)
}

// scaleOf returns the autoscaling/v1 Scale of a workload.
func scaleOf(k *scheme.Kind, workload scheme.Object) (*k8sautoscalingv1.Scale, error) {
	m, err := toMap(k, workload)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	o := obj(m)
	sc := &k8sautoscalingv1.Scale{}
	sc.APIVersion, sc.Kind = "autoscaling/v1", "Scale"
	meta := workload.GetMetadata()
	sc.Name, sc.Namespace, sc.ResourceVersion = meta.GetName(), meta.GetNamespace(), meta.GetResourceVersion()
	sc.UID = types.UID(meta.GetUid())
	if ts := meta.GetCreationTimestamp(); ts != nil {
		sc.CreationTimestamp.Time = ts.AsTime()
	}
	sc.Spec.Replicas = int32(o.num("spec", "replicas"))
	sc.Status.Replicas = int32(o.num("status", "replicas"))
	if k.Kind == "ReplicationController" {
		sc.Status.Selector = mapSelector(o.obj("spec", "selector"))
	} else if sel := labelSelector(o.obj("spec", "selector")); sel != "<none>" {
		sc.Status.Selector = sel
	}
	return sc, nil
}
