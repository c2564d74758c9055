package rest

import (
	"encoding/json"
	"errors"
	"net/http"

	k8sautoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// scale serves the <workload>/scale subresource as an autoscaling/v1 Scale, read and written by the
// registry: GET reads it; PUT replaces it and PATCH patches its JSON form, both setting the
// workload's spec.replicas.
func (h *Handler) scale(w http.ResponseWriter, r *http.Request, req *request) {
	if req.name == "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/scale", "list"))
		return
	}
	switch r.Method {
	case http.MethodGet:
		sc, err := req.store.GetScale(r.Context(), req.namespace, req.name)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, k8sScale(sc))
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
	} else if apply, err = scalePatcher(req.store, mediaType(r), body); err != nil {
		writeError(w, err)
		return
	}
	sc, err := req.store.UpdateScale(r.Context(), req.namespace, req.name,
		registry.ScaleOptions{DryRun: dry, FieldManager: managerName(r)},
		func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) { return patchScale(req.name, cur, apply) })
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, k8sScale(sc))
}

// patchScale returns the Scale apply makes of cur's JSON form.
func patchScale(name string, cur *autoscalingv1.Scale, apply func([]byte) ([]byte, error)) (*autoscalingv1.Scale, error) {
	orig, err := json.Marshal(k8sScale(cur))
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	out, err := apply(orig)
	var se *apierrors.StatusError
	switch {
	case errors.As(err, &se):
		return nil, se
	case err != nil:
		return nil, apierrors.NewBadRequest("unable to apply patch to Scale %q: %v", name, err)
	}
	var next k8sautoscalingv1.Scale
	if err := json.Unmarshal(out, &next); err != nil {
		return nil, apierrors.NewBadRequest("the body of the request is not a Scale: %v", err)
	}
	return &autoscalingv1.Scale{
		Metadata: &metav1.ObjectMeta{Name: next.Name, ResourceVersion: next.ResourceVersion},
		Spec:     &autoscalingv1.ScaleSpec{Replicas: next.Spec.Replicas},
	}, nil
}

// scalePatcher applies a patch to a Scale's JSON within the limits of st, the scaled workload's. A
// strategic merge patch goes through the strategic merge, as for any kind, so its directives are
// checked.
func scalePatcher(st *registry.Store, mediaType string, patch []byte) (func([]byte) ([]byte, error), error) {
	if mediaType == registry.PatchStrategic {
		return strategicPatcher(st, patch, &k8sautoscalingv1.Scale{})
	}
	return patcher(st, nil, mediaType, patch)
}

// k8sScale returns sc as Kubernetes' autoscaling/v1 Scale.
func k8sScale(sc *autoscalingv1.Scale) *k8sautoscalingv1.Scale {
	out := &k8sautoscalingv1.Scale{}
	out.APIVersion, out.Kind = "autoscaling/v1", "Scale"
	m := sc.GetMetadata()
	out.Name, out.Namespace, out.ResourceVersion = m.GetName(), m.GetNamespace(), m.GetResourceVersion()
	out.UID = types.UID(m.GetUid())
	if ts := m.GetCreationTimestamp(); ts != nil {
		out.CreationTimestamp.Time = ts.AsTime()
	}
	out.Spec.Replicas = sc.GetSpec().GetReplicas()
	out.Status.Replicas = sc.GetStatus().GetReplicas()
	out.Status.Selector = sc.GetStatus().GetSelector()
	return out
}
