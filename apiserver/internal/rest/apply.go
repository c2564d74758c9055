package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	k8serrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/applyconfigurations"
	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// fieldManagers builds, once, a structured-merge-diff field manager per kind from the schemas of
// Kubernetes' own types, so server-side apply merges lists by their keys and tracks field owners
// exactly as Kubernetes does.
type fieldManagers struct {
	once sync.Once
	tc   managedfields.TypeConverter
	mu   sync.Mutex
	byGV map[schema.GroupVersionKind]*managedfields.FieldManager
}

func (f *fieldManagers) forKind(k *scheme.Kind) (*managedfields.FieldManager, error) {
	f.once.Do(func() {
		f.tc = applyconfigurations.NewTypeConverter(k8sScheme)
		f.byGV = map[schema.GroupVersionKind]*managedfields.FieldManager{}
	})
	gvk := schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fm, ok := f.byGV[gvk]; ok {
		return fm, nil
	}
	fm, err := managedfields.NewDefaultFieldManager(f.tc, k8sScheme, k8sScheme, k8sScheme, gvk, gvk.GroupVersion(), "", nil)
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	f.byGV[gvk] = fm
	return fm, nil
}

// apply serves PATCH with application/apply-patch+yaml: server-side apply. The applied
// configuration is merged into the live object (or an empty one, which creates it: 201) by the
// field manager, which records fieldManager's ownership in metadata.managedFields and refuses, with
// 409 Conflict naming each field, to take fields another manager owns unless force=true. The result
// is stored through the registry by a create or a conditional update, applied again to a newer
// object after a lost race.
func (h *Handler) apply(w http.ResponseWriter, r *http.Request, req *request, body []byte, dry bool) {
	q := r.URL.Query()
	manager := q.Get("fieldManager")
	if manager == "" {
		writeError(w, &apierrors.StatusError{Reason: apierrors.ReasonInvalid, Code: http.StatusUnprocessableEntity,
			Message: `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`,
			Details: &apierrors.Details{Group: "meta.k8s.io", Kind: "PatchOptions",
				Causes: []apierrors.Cause{{Type: "FieldValueRequired", Message: "Required value: is required for apply patch", Field: "fieldManager"}}}})
		return
	}
	force, _ := strconv.ParseBool(q.Get("force"))
	if req.subresource != "" {
		writeError(w, apierrors.NewMethodNotSupported(req.kind.Group, req.kind.Resource+"/"+req.subresource, "apply"))
		return
	}
	js, err := yaml.YAMLToJSON(body)
	var applied map[string]any
	if err == nil {
		err = json.Unmarshal(js, &applied)
	}
	if err != nil || applied == nil {
		writeError(w, apierrors.NewBadRequest("error decoding YAML: the apply configuration is not a YAML or JSON object: %v", err))
		return
	}
	u := &unstructured.Unstructured{Object: applied}
	if u.GetAPIVersion() != req.kind.APIVersion() || u.GetKind() != req.kind.Kind {
		writeError(w, apierrors.NewBadRequest("the apply configuration must name apiVersion %q and kind %q", req.kind.APIVersion(), req.kind.Kind))
		return
	}
	if u.GetName() != req.name {
		writeError(w, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", u.GetName(), req.name))
		return
	}
	if req.kind.Namespaced && u.GetNamespace() != "" && u.GetNamespace() != req.namespace {
		writeError(w, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
		return
	}
	fm, err := h.managers.forKind(req.kind)
	if err != nil {
		writeError(w, err)
		return
	}
	if _, ok := k8sObject(req.kind); !ok {
		writeError(w, apierrors.NewUnsupportedMediaType(registry.PatchApply))
		return
	}
	out, created, err := req.store.Modify(r.Context(), req.namespace, req.name,
		registry.ModifyOptions{DryRun: dry, Create: true, Retries: patchRetries},
		func(cur scheme.Object) (scheme.Object, error) {
			live, err := typedObject(req.kind, cur)
			if err != nil {
				return nil, err
			}
			merged, err := fm.Apply(live, u.DeepCopy(), manager, force)
			if err != nil {
				return nil, fromK8sError(err)
			}
			obj, err := fromValue(req.kind, merged)
			if err != nil {
				return nil, err
			}
			if cur != nil {
				// An applied configuration never pins the resourceVersion.
				obj.GetMetadata().ResourceVersion = cur.GetMetadata().GetResourceVersion()
			}
			return obj, nil
		})
	if err != nil {
		writeError(w, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeObject(w, code, req.kind, out)
}

// fromK8sError turns an error of Kubernetes' libraries (an apply conflict, a schema mismatch) into
// a Status error; errors without a status are the client's applied configuration's fault.
func fromK8sError(err error) error {
	var s k8serrors.APIStatus
	if !errors.As(err, &s) {
		return apierrors.NewBadRequest("%v", err)
	}
	st := s.Status()
	se := &apierrors.StatusError{Reason: apierrors.Reason(st.Reason), Code: st.Code, Message: st.Message}
	if d := st.Details; d != nil {
		se.Details = &apierrors.Details{Group: d.Group, Kind: d.Kind, Name: d.Name, UID: string(d.UID)}
		for _, c := range d.Causes {
			se.Details.Causes = append(se.Details.Causes, apierrors.Cause{Type: string(c.Type), Message: c.Message, Field: c.Field})
		}
	}
	if se.Code == 0 {
		se.Code = http.StatusInternalServerError
	}
	return se
}

// managerName is the field manager a write is recorded under: the fieldManager parameter, or as
// Kubernetes defaults it, the User-Agent up to its first "/".
func managerName(r *http.Request) string {
	if m := r.URL.Query().Get("fieldManager"); m != "" {
		return m
	}
	ua, _, _ := strings.Cut(r.UserAgent(), "/")
	return ua
}

// trackUpdate records, in next's metadata.managedFields, that the request's manager set the
// fields it changed from cur (nil for a create), as Kubernetes records every write that is not an
// apply, so a later apply sees who owns what.
func (h *Handler) trackUpdate(r *http.Request, k *scheme.Kind, cur, next scheme.Object) error {
	fm, err := h.managers.forKind(k)
	if err != nil {
		return err
	}
	live, err := typedObject(k, cur)
	if err != nil {
		return err
	}
	nt, err := typedObject(k, next)
	if err != nil {
		return err
	}
	out := fm.UpdateNoErrors(live, nt, managerName(r))
	tracked, err := fromValue(k, out)
	if err != nil {
		return err
	}
	next.GetMetadata().ManagedFields = tracked.GetMetadata().GetManagedFields()
	return nil
}

// typedObject returns obj (nil: an empty object of kind k) as Kubernetes' Go type for k.
func typedObject(k *scheme.Kind, obj scheme.Object) (runtime.Object, error) {
	t, ok := k8sObject(k)
	if !ok {
		return nil, apierrors.NewInternal(errors.New("no Kubernetes type for " + k.Kind))
	}
	t.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind})
	if obj == nil {
		return t, nil
	}
	b, err := toJSON(k, obj, true)
	if err == nil {
		err = json.Unmarshal(b, t)
	}
	if err != nil {
		return nil, apierrors.NewInternal(err)
	}
	return t, nil
}
