package rest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// create serves POST to a collection (201 with the stored object) and to pods/<name>/binding.
func (h *Handler) create(w http.ResponseWriter, r *http.Request, req *request) {
	body, dry, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.subresource == "binding" {
		h.bind(w, r, req, body, dry)
		return
	}
	if req.name != "" || req.subresource != "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, "create"))
		return
	}
	obj, err := decodeObject(w, r, req.kind, body)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := req.store.Create(r.Context(), req.namespace, obj, registry.CreateOptions{
		DryRun:       dry,
		FieldManager: managerName(r),
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeObject(w, http.StatusCreated, req.kind, out)
}

// bind serves POST pods/<name>/binding.
func (h *Handler) bind(w http.ResponseWriter, r *http.Request, req *request, body []byte, dry bool) {
	if mediaType(r) != "application/json" {
		writeError(w, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type")))
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		writeError(w, apierrors.NewBadRequest("the body of the request is not a Binding: %v", err))
		return
	}
	if kind, ok := m["kind"]; ok && kind != "Binding" {
		writeError(w, apierrors.NewBadRequest("the kind in the data (%v) does not match the expected kind (Binding)", kind))
		return
	}
	delete(m, "kind")
	delete(m, "apiVersion")
	b := &corev1.Binding{}
	if err := kubejson.MapToMessage(m, b, kubejson.DecodeOptions{}); err != nil {
		writeError(w, err)
		return
	}
	if _, err := req.store.Bind(r.Context(), req.namespace, req.name, b, dry); err != nil {
		writeError(w, err)
		return
	}
	st := successStatus("", "pods", req.name, "")
	st.Code = http.StatusCreated
	writeJSON(w, http.StatusCreated, st)
}

// update serves PUT of an object or its status.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, req *request) {
	if req.name == "" || req.subresource == "binding" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, "update"))
		return
	}
	body, dry, err := readWrite(r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := decodeObject(w, r, req.kind, body)
	if err != nil {
		writeError(w, err)
		return
	}
	if n := obj.GetMetadata().GetName(); n != req.name {
		writeError(w, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", n, req.name))
		return
	}
	out, err := req.store.Update(r.Context(), req.namespace, obj, registry.UpdateOptions{
		DryRun:       dry,
		FieldManager: managerName(r),
		Subresource:  req.subresource,
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeObject(w, http.StatusOK, req.kind, out)
}

// deleteOptions is meta/v1 DeleteOptions as a JSON body carries it.
type deleteOptions struct {
	GracePeriodSeconds *int64   `json:"gracePeriodSeconds"`
	PropagationPolicy  string   `json:"propagationPolicy"`
	OrphanDependents   *bool    `json:"orphanDependents"`
	DryRun             []string `json:"dryRun"`
	Preconditions      *struct {
		UID             string `json:"uid"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"preconditions"`
}

// remove serves DELETE of one object: the object (200) while finalizers or a grace period hold it,
// a Success Status once it is gone.
func (h *Handler) remove(w http.ResponseWriter, r *http.Request, req *request) {
	if req.name == "" || req.subresource != "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource, "deletecollection"))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var do deleteOptions
	if len(body) > 0 {
		switch mediaType(r) {
		case "application/json":
		case protobufMediaType:
			if body, err = deleteOptionsProtobufToJSON(body); err != nil {
				writeError(w, err)
				return
			}
		default:
			writeError(w, apierrors.NewUnsupportedMediaType(r.Header.Get("Content-Type")))
			return
		}
		if err := json.Unmarshal(body, &do); err != nil {
			writeError(w, apierrors.NewBadRequest("the body of the request is not DeleteOptions: %v", err))
			return
		}
	}
	q := r.URL.Query()
	if s := q.Get("gracePeriodSeconds"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			writeError(w, apierrors.NewBadRequest("invalid gracePeriodSeconds %q", s))
			return
		}
		do.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		do.PropagationPolicy = p
	}
	dry, err := dryRun(r)
	if err != nil {
		writeError(w, err)
		return
	}
	bodyDry, err := registry.ParseDryRun(do.DryRun)
	if err != nil {
		writeError(w, err)
		return
	}
	opts := registry.DeleteOptions{
		GracePeriodSeconds: do.GracePeriodSeconds,
		PropagationPolicy:  do.PropagationPolicy,
		OrphanDependents:   do.OrphanDependents,
		DryRun:             dry || bodyDry,
	}
	if do.Preconditions != nil {
		opts.PreconditionUID, opts.PreconditionResourceVersion = do.Preconditions.UID, do.Preconditions.ResourceVersion
	}
	obj, gone, err := req.store.Delete(r.Context(), req.namespace, req.name, opts)
	if err != nil {
		writeError(w, err)
		return
	}
	if gone || obj == nil {
		uid := ""
		if obj != nil {
			uid = obj.GetMetadata().GetUid()
		}
		writeJSON(w, http.StatusOK, successStatus(req.kind.Group, req.kind.Resource, req.name, uid))
		return
	}
	writeObject(w, http.StatusOK, req.kind, obj)
}
