package registry

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/internal/strategy"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// CreateOptions qualify a Create.
type CreateOptions struct {
	// DryRun runs every check and returns the object without storing it.
	DryRun bool
	// FieldManager names the writer in metadata.managedFields.
	FieldManager string
	// UID, when a valid UUID, is the client's proposal the object's uid is derived from instead of
	// being drawn at random (see scheme.CreateUID and resourcev1.CreateRequest.uid). A uid in the
	// object's metadata is never kept.
	UID string
}

// generateNameAttempts is how many names Create tries for an object with generateName before it
// reports the conflict.
const generateNameAttempts = 3

// Create stores a new object in namespace ("" for cluster-scoped kinds) and returns it as stored.
// obj becomes the store's; the caller must not use it afterwards.
func (s *Store) Create(ctx context.Context, namespace string, obj scheme.Object, opts CreateOptions) (scheme.Object, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	generated := obj.GetMetadata().GetName() == "" && obj.GetMetadata().GetGenerateName() != ""
	if err := s.admitCreate(ctx, namespace, obj, opts); err != nil {
		return nil, err
	}
	if err := s.trackUpdate(nil, obj, opts.FieldManager); err != nil {
		return nil, err
	}
	if opts.DryRun {
		return obj, s.dryRunSizeCheck(obj)
	}
	name := obj.GetMetadata().GetName()
	for attempt := 1; ; attempt++ {
		_, err := s.createKey(ctx, s.key(namespace, name), obj)
		switch {
		case err == nil:
			return obj, nil
		case !errors.Is(err, storage.ErrExists):
			return nil, s.storageErr(name, err)
		case !generated:
			return nil, apierrors.NewAlreadyExists(s.kind.Group, s.kind.Resource, name)
		case attempt == generateNameAttempts:
			return nil, apierrors.NewGenerateNameConflict(s.kind.Group, s.kind.Resource, name)
		}
		name = generateName(obj.GetMetadata().GetGenerateName())
		obj.GetMetadata().Name = name
		if opts.UID != "" {
			obj.GetMetadata().Uid = scheme.CreateUID(s.kind, obj.GetMetadata().GetNamespace(), name, opts.UID)
		}
	}
}

// admitCreate makes obj a new object in namespace: it sets the metadata the server owns, admits,
// defaults and validates it.
func (s *Store) admitCreate(ctx context.Context, namespace string, obj scheme.Object, opts CreateOptions) error {
	if err := s.prepareCreate(obj, namespace); err != nil {
		return err
	}
	if opts.UID != "" {
		if _, err := uuid.Parse(opts.UID); err != nil {
			return apierrors.NewBadRequest("the proposed uid %q is not a UUID", opts.UID)
		}
		obj.GetMetadata().Uid = scheme.CreateUID(s.kind, obj.GetMetadata().GetNamespace(), obj.GetMetadata().GetName(), opts.UID)
	}
	// Admission before validation, as in Kubernetes: an object for a missing namespace is NotFound
	// whatever else is wrong with it.
	if err := s.admitNamespace(ctx, namespace, obj.GetMetadata().GetName(), true); err != nil {
		return err
	}
	s.admitTolerations(obj)
	if err := s.mutateCreate(ctx, namespace, obj, opts.DryRun); err != nil {
		return err
	}
	s.initStatus(obj)
	if p, ok := s.strategy.(strategy.CreatePreparer); ok {
		p.PrepareForCreate(ctx, obj)
	}
	s.strategy.Default(obj)
	errs := s.validateMeta(obj.GetMetadata())
	errs = append(errs, s.strategy.Validate(obj)...)
	if len(errs) > 0 {
		return s.invalid(obj, errs)
	}
	return s.admitWrite(ctx, namespace, obj, nil, opts.DryRun)
}
