package registry

import (
	"context"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Patch content types.
const (
	PatchMerge     = "application/merge-patch+json"
	PatchJSON      = "application/json-patch+json"
	PatchStrategic = "application/strategic-merge-patch+json"
	PatchApply     = "application/apply-patch+yaml"
)

// PatchOptions qualify a Patch.
type PatchOptions struct {
	// Subresource "" patches the object, "status" its status.
	Subresource  string
	DryRun       bool
	FieldManager string
	Force        bool
}

// Patch applies a JSON merge patch or JSON patch to the named object's JSON form and stores the
// result as an update would. A metadata.resourceVersion in the patched object makes the write
// conditional on it; otherwise a lost race re-applies the patch to the newer object.
func (s *Store) Patch(ctx context.Context, namespace, name, patchType string, patch []byte, opts PatchOptions) (scheme.Object, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	var apply func(doc []byte) ([]byte, error)
	switch patchType {
	case PatchMerge:
		apply = func(doc []byte) ([]byte, error) { return jsonpatch.MergePatch(doc, patch) }
	case PatchJSON:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest("invalid JSON patch: %v", err)
		}
		apply = p.Apply
	default:
		return nil, apierrors.NewUnsupportedMediaType(patchType)
	}
	var merge func(obj, cur scheme.Object) (scheme.Object, error)
	switch opts.Subresource {
	case "":
		merge = s.mergeUpdate
	case "status":
		if s.statusField() == nil {
			return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/status", "patch")
		}
		merge = s.mergeStatus
	default:
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/"+opts.Subresource, "patch")
	}
	return s.modify(ctx, namespace, name, opts.DryRun, func(cur scheme.Object) (scheme.Object, error) {
		doc, err := protojson.Marshal(cur)
		if err != nil {
			return nil, apierrors.NewInternal(err)
		}
		patched, err := apply(doc)
		if err != nil {
			return nil, apierrors.NewBadRequest("unable to apply patch to %s %q: %v", s.kind.Kind, name, err)
		}
		obj := s.kind.New()
		if err := protojson.Unmarshal(patched, obj); err != nil {
			return nil, apierrors.NewBadRequest("the patched %s %q is not valid: %v", s.kind.Kind, name, err)
		}
		m := scheme.Meta(obj)
		if m.Name != name {
			return nil, apierrors.NewBadRequest("the patch may not change metadata.name (from %q to %q)", name, m.Name)
		}
		if m.ResourceVersion == cur.GetMetadata().GetResourceVersion() && m.Uid == cur.GetMetadata().GetUid() {
			// Not pinned by the patch: apply to whatever is current.
			m.ResourceVersion, m.Uid = "", ""
		}
		return merge(obj, cur)
	})
}
