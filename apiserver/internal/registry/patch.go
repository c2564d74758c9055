package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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

// Kubernetes' bounds on a patch, the defaults of PatchLimits.
const (
	DefaultMaxJSONPatchOperations = 10000
	DefaultMaxJSONPatchCopyBytes  = 3 * 1024 * 1024
	DefaultMaxPatchedBytes        = 3 * 1024 * 1024
)

// PatchLimits bound the memory and time one patch may take, whatever its type and edge: a JSON
// patch of a few hundred kilobytes can otherwise copy a large value thousands of times.
type PatchLimits struct {
	// MaxJSONPatchOperations bounds the operations of a JSON patch; more fail with
	// RequestEntityTooLarge (413) before any is applied.
	MaxJSONPatchOperations int
	// MaxJSONPatchCopyBytes bounds the bytes a JSON patch's copy operations add up to; the patch
	// stops at the copy that passes it and fails with Invalid (422), as in Kubernetes.
	MaxJSONPatchCopyBytes int64
	// MaxPatchedBytes bounds the JSON form of a patched object (Kubernetes applies its request
	// body limit); a larger one fails with RequestEntityTooLarge (413) before it is decoded.
	MaxPatchedBytes int
}

// withDefaults fills in Kubernetes' value for every bound that is not positive.
func (l PatchLimits) withDefaults() PatchLimits {
	if l.MaxJSONPatchOperations <= 0 {
		l.MaxJSONPatchOperations = DefaultMaxJSONPatchOperations
	}
	if l.MaxJSONPatchCopyBytes <= 0 {
		l.MaxJSONPatchCopyBytes = DefaultMaxJSONPatchCopyBytes
	}
	if l.MaxPatchedBytes <= 0 {
		l.MaxPatchedBytes = DefaultMaxPatchedBytes
	}
	return l
}

// PatchOptions qualify a Patch.
type PatchOptions struct {
	// Subresource "" patches the object, "status" its status.
	Subresource string
	DryRun      bool
	// FieldManager names the writer in metadata.managedFields; an apply requires it.
	FieldManager string
	// Force lets an apply take the fields another manager owns.
	Force bool
}

// Patch applies a JSON merge patch or JSON patch to the named object's JSON form and stores the
// result as an update would. A metadata.resourceVersion in the patched object makes the write
// conditional on it; otherwise a lost race re-applies the patch to the newer object. An apply
// patch is server-side apply (see Apply); only it may force.
func (s *Store) Patch(ctx context.Context, namespace, name, patchType string, patch []byte, opts PatchOptions) (scheme.Object, error) {
	if patchType == PatchApply {
		out, _, err := s.Apply(ctx, namespace, name, patch, ApplyOptions(opts))
		return out, err
	}
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	if opts.Force {
		return nil, apierrors.NewInvalid("meta.k8s.io", "PatchOptions", "", []apierrors.Cause{{
			Type: "FieldValueForbidden", Field: "force", Message: "Forbidden: may not be specified for non-apply patch"}})
	}
	apply, err := s.Patcher(patchType, patch)
	if err != nil {
		return nil, err
	}
	codec := PatchCodec{
		Encode: func(obj scheme.Object) ([]byte, error) { return protojson.Marshal(obj) },
		Decode: func(doc []byte) (scheme.Object, error) {
			obj := s.kind.New()
			if err := protojson.Unmarshal(doc, obj); err != nil {
				return nil, apierrors.NewBadRequest("the patched %s %q is not valid: %v", s.kind.Kind, name, err)
			}
			return obj, nil
		},
	}
	out, _, err := s.Modify(ctx, namespace, name, ModifyOptions{Subresource: opts.Subresource, DryRun: opts.DryRun, FieldManager: opts.FieldManager},
		s.PatchFunc(name, codec, apply))
	return out, err
}

// Patcher returns the function that applies a JSON merge patch or a JSON patch to a JSON document,
// within the registry's PatchLimits: a JSON patch with too many operations is refused here, one
// whose copies add up to too much fails as it is applied, and so does a patched document too
// large (see BoundPatched).
func (s *Store) Patcher(patchType string, patch []byte) (func(doc []byte) ([]byte, error), error) {
	switch patchType {
	case PatchMerge:
		return s.BoundPatched(func(doc []byte) ([]byte, error) { return jsonpatch.MergePatch(doc, patch) }), nil
	case PatchJSON:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest("invalid JSON patch: %v", err)
		}
		if err := checkJSONPatch(p); err != nil {
			return nil, err
		}
		limits := s.registry.cfg.Patch
		if len(p) > limits.MaxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLarge("the allowed maximum operations in a JSON patch is %d, got %d",
				limits.MaxJSONPatchOperations, len(p))
		}
		opts := jsonpatch.NewApplyOptions()
		opts.AccumulatedCopySizeLimit = limits.MaxJSONPatchCopyBytes
		return s.BoundPatched(func(doc []byte) (out []byte, err error) {
			defer func() {
				// The JSON patch library has panicked on inputs checkJSONPatch lets through (a test
				// of the whole document against null); a panic there is still the patch's fault.
				if r := recover(); r != nil {
					out, err = nil, &apierrors.StatusError{Reason: apierrors.ReasonInvalid, Code: http.StatusUnprocessableEntity,
						Message: fmt.Sprintf("the JSON patch cannot be applied: %v", r)}
				}
			}()
			out, err = p.ApplyWithOptions(doc, opts)
			var tooMuch *jsonpatch.AccumulatedCopySizeError
			if errors.As(err, &tooMuch) {
				return nil, &apierrors.StatusError{Reason: apierrors.ReasonInvalid, Code: http.StatusUnprocessableEntity,
					Message: "the JSON patch copies too much: " + err.Error()}
			}
			return out, err
		}), nil
	default:
		return nil, apierrors.NewUnsupportedMediaType(patchType)
	}
}

// BoundPatched returns apply failing with RequestEntityTooLarge when the document it makes is
// larger than PatchLimits.MaxPatchedBytes, before anyone decodes it: every patch type's result is
// held to the bound a request body is.
func (s *Store) BoundPatched(apply func(doc []byte) ([]byte, error)) func(doc []byte) ([]byte, error) {
	limit := s.registry.cfg.Patch.MaxPatchedBytes
	return func(doc []byte) ([]byte, error) {
		out, err := apply(doc)
		if err == nil && len(out) > limit {
			return nil, apierrors.NewRequestEntityTooLarge("the patched %s is %d bytes, the limit is %d bytes", s.kind.Kind, len(out), limit)
		}
		return out, err
	}
}

// PatchCodec converts objects to and from the JSON form a patch applies to.
type PatchCodec struct {
	Encode func(obj scheme.Object) ([]byte, error)
	// Decode reads the patched document; its errors are the client's and reach it as they are.
	Decode func(doc []byte) (scheme.Object, error)
}

// PatchFunc returns the ModifyFunc that applies apply to the named object's JSON form in codec.
// Errors apply returns as StatusErrors (a limit of Patcher's or BoundPatched's) reach the client
// as they are, others as BadRequest. As Kubernetes checks a patched object against its URL, the
// patch may not change metadata.name, nor the metadata.namespace of a namespaced kind (it may
// remove the namespace, which then stays the object's); both fail with BadRequest. A
// metadata.resourceVersion or uid it changes pins the
// write to that value, so it fails with Conflict instead of being applied again after a lost race.
func (s *Store) PatchFunc(name string, codec PatchCodec, apply func(doc []byte) ([]byte, error)) ModifyFunc {
	return func(cur scheme.Object) (scheme.Object, error) {
		doc, err := codec.Encode(cur)
		if err != nil {
			return nil, apierrors.NewInternal(err)
		}
		patched, err := apply(doc)
		var se *apierrors.StatusError
		switch {
		case errors.As(err, &se):
			return nil, se
		case err != nil:
			return nil, apierrors.NewBadRequest("unable to apply patch to %s %q: %v", s.kind.Kind, name, err)
		}

		obj, err := codec.Decode(patched)
		if err != nil {
			return nil, err
		}
		m := obj.GetMetadata()
		if got := m.GetName(); got != name {
			return nil, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", got, name)
		}
		if ns, want := m.GetNamespace(), cur.GetMetadata().GetNamespace(); s.kind.Namespaced && ns != "" && ns != want {
			return nil, apierrors.NewBadRequest("the namespace of the object (%s) does not match the namespace on the URL (%s)", ns, want)
		}
		return obj, nil
	}
}

// checkJSONPatch refuses a JSON patch whose test operation has no value, as RFC 6902 requires.
// Decoding checks every other operation's fields, but not test's, and applying such a test to the
// whole document panics in the library.
func checkJSONPatch(p jsonpatch.Patch) error {
	for i, op := range p {
		if op.Kind() != "test" {
			continue
		}
		if _, ok := op["value"]; !ok {
			return apierrors.NewBadRequest("invalid JSON patch: operation %d (test) has no \"value\"", i)
		}
	}
	return nil
}
