package registry

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	k8serrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// applyRetries bounds how often an apply is merged again into a newer object after losing a race.
const applyRetries = 5

// ApplyOptions qualify an Apply.
type ApplyOptions struct {
	// Subresource must be "": only the object itself may be applied.
	Subresource string
	DryRun      bool
	// FieldManager names the applier; it is required.
	FieldManager string
	// Force takes the fields another manager owns instead of failing with Conflict.
	Force bool
}

// Apply is server-side apply: config, an applied configuration in YAML or JSON that names the
// kind's apiVersion and kind and the object, is merged into the stored object (or into an empty
// one, which creates it) by the kind's field manager. The manager's ownership is recorded in
// metadata.managedFields; taking a field another manager owns fails with Conflict naming every
// such field unless opts.Force is set. The merge runs inside the read-modify-write cycle, so it is
// made against the object the write replaces. Apply returns the object as stored and whether it
// created it.
func (s *Store) Apply(ctx context.Context, namespace, name string, config []byte, opts ApplyOptions) (scheme.Object, bool, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, false, err
	}
	if opts.FieldManager == "" {
		return nil, false, apierrors.NewInvalid("meta.k8s.io", "PatchOptions", "", []apierrors.Cause{{
			Type: "FieldValueRequired", Field: "fieldManager", Message: "Required value: is required for apply patch"}})
	}
	if opts.Subresource != "" {
		return nil, false, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/"+opts.Subresource, "apply")
	}
	u, err := s.appliedConfig(namespace, name, config)
	if err != nil {
		return nil, false, err
	}
	fm, err := s.registry.fields.forKind(s.kind)
	if err != nil {
		return nil, false, err
	}
	merge, err := s.merger("", "patch")
	if err != nil {
		return nil, false, err
	}
	apply := func(cur scheme.Object) (scheme.Object, error) {
		live, err := kubejson.ToTyped(s.kind, cur)
		if err != nil {
			return nil, err
		}
		merged, err := fm.Apply(live, u.DeepCopy(), opts.FieldManager, opts.Force)
		if err != nil {
			return nil, fromK8sError(err)
		}
		obj, err := kubejson.FromValue(s.kind, merged)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return obj, nil
		}
		// An applied configuration never pins the resourceVersion.
		obj.GetMetadata().ResourceVersion = cur.GetMetadata().GetResourceVersion()
		return merge(obj, cur)
	}
	return s.modify(ctx, namespace, name, ModifyOptions{DryRun: opts.DryRun, Create: true, Retries: applyRetries}, apply)
}

// appliedConfig decodes an applied configuration for the named object in namespace.
func (s *Store) appliedConfig(namespace, name string, config []byte) (*unstructured.Unstructured, error) {
	js, err := yaml.YAMLToJSON(config)
	var applied map[string]any
	if err == nil {
		err = json.Unmarshal(js, &applied)
	}
	if err != nil || applied == nil {
		return nil, apierrors.NewBadRequest("error decoding YAML: the apply configuration is not a YAML or JSON object: %v", err)
	}
	if _, ok := kubejson.NewTyped(s.kind); !ok {
		return nil, apierrors.NewUnsupportedMediaType(PatchApply)
	}
	u := &unstructured.Unstructured{Object: applied}
	if u.GetAPIVersion() != s.kind.APIVersion() || u.GetKind() != s.kind.Kind {
		return nil, apierrors.NewBadRequest("the apply configuration must name apiVersion %q and kind %q", s.kind.APIVersion(), s.kind.Kind)
	}
	if u.GetName() != name {
		return nil, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", u.GetName(), name)
	}
	if err := s.checkObjectNamespace(u.GetNamespace(), namespace); err != nil {
		return nil, err
	}
	return u, nil
}

// fromK8sError turns an error of Kubernetes' libraries (an apply conflict, a schema mismatch) into
// a Status error; errors without a status are the applied configuration's fault.
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
