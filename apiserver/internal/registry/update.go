package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/apiserver/internal/strategy"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// UpdateOptions qualify an Update.
type UpdateOptions struct {
	DryRun bool
	// FieldManager names the writer in metadata.managedFields, which record the fields an update
	// of the object (not of its status) changes.
	FieldManager string
	// Subresource "" replaces the object but not its status; "status" replaces only the status;
	// "finalize" (namespaces) replaces only spec.finalizers; "approval" (certificate signing
	// requests) replaces only the Approved and Denied conditions.
	Subresource string
}

// checkPreconditions fails with Conflict when the client's resourceVersion or uid no longer match.
func (s *Store) checkPreconditions(cur scheme.Object, rv, uid string) error {
	cm := cur.GetMetadata()
	if uid != "" && uid != cm.GetUid() {
		return s.conflict(cm.GetName(), fmt.Sprintf("Precondition failed: UID in precondition: %s, UID in object meta: %s", uid, cm.GetUid()))
	}
	if rv != "" && rv != cm.GetResourceVersion() {
		return s.conflict(cm.GetName(), apierrors.ModifiedMessage)
	}
	return nil
}

// Update replaces an existing object (or its status, or a namespace's finalizers) and returns it as
// stored. A resourceVersion in obj makes the write conditional on it.
func (s *Store) Update(ctx context.Context, namespace string, obj scheme.Object, opts UpdateOptions) (scheme.Object, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	m := scheme.Meta(obj)
	if err := s.checkObjectNamespace(m.Namespace, namespace); err != nil {
		return nil, err
	}
	if m.GetName() == "" {
		return nil, s.invalid(obj, field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name is required")})
	}
	merge, err := s.merger(opts.Subresource, "update")
	if err != nil {
		return nil, err
	}
	out, _, err := s.modify(ctx, namespace, m.GetName(), ModifyOptions{DryRun: opts.DryRun}, func(cur scheme.Object) (scheme.Object, error) {
		next, err := merge(obj, cur)
		if err == nil && opts.Subresource == "" {
			err = s.trackUpdate(cur, next, opts.FieldManager)
		}
		if err == nil && opts.Subresource == "" {
			err = s.admitWrite(ctx, namespace, next, cur, opts.DryRun)
		}
		if err == nil && opts.Subresource == "status" {
			err = s.admitStatus(ctx, namespace, next, cur, opts.DryRun)
		}
		return next, err
	})
	return out, err
}

// merger returns how a write of subresource by verb combines the client's object with the current
// one: a finalize is only ever an update, and only of a namespace.
func (s *Store) merger(subresource, verb string) (func(obj, cur scheme.Object) (scheme.Object, error), error) {
	switch {
	case subresource == "":
		return s.mergeUpdate, nil
	case subresource == "status" && s.statusField() != nil:
		return s.mergeStatus, nil
	case subresource == "finalize" && verb == "update" && s.kind.Kind == "Namespace":
		return s.mergeFinalize, nil
	case subresource == "approval" && s.statusField() != nil:
		if ap, ok := s.strategy.(strategy.ApprovalPreparer); ok {
			return func(obj, cur scheme.Object) (scheme.Object, error) {
				return s.mergeStatusWith(obj, cur, ap.PrepareForApproval)
			}, nil
		}
	}
	return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/"+subresource, verb)
}

// mergeUpdate computes the object a full update stores: the client's object with the server-owned
// metadata and the status of cur.
func (s *Store) mergeUpdate(obj, cur scheme.Object) (scheme.Object, error) {
	m := obj.GetMetadata()
	if err := s.checkPreconditions(cur, m.GetResourceVersion(), m.GetUid()); err != nil {
		return nil, err
	}
	next := cloneObject(obj)
	nm, cm := scheme.Meta(next), cur.GetMetadata()
	nm.Namespace = cm.GetNamespace()
	nm.Uid = cm.GetUid()
	nm.CreationTimestamp = cm.GetCreationTimestamp()
	nm.DeletionTimestamp = cm.GetDeletionTimestamp()
	nm.DeletionGracePeriodSeconds = cm.DeletionGracePeriodSeconds
	nm.Generation = cm.GetGeneration()
	nm.GenerateName = cm.GetGenerateName()
	nm.SelfLink = ""
	copyField(next, cur, s.statusField())
	s.strategy.PrepareForUpdate(next, cur)
	s.strategy.Default(next)
	if fd := s.specField(); fd != nil && !fieldEqual(next, cur, fd) {
		nm.Generation++
	}
	errs := s.validateMeta(nm)
	if cm.GetDeletionTimestamp() != nil {
		for i, f := range nm.GetFinalizers() {
			if !slices.Contains(cm.GetFinalizers(), f) {
				errs = append(errs, field.Forbidden(field.NewPath("metadata", "finalizers").Index(i),
					"no new finalizers can be added if the object is being deleted, found new finalizers "+f))
			}
		}
	}
	errs = append(errs, s.strategy.ValidateUpdate(next, cur)...)
	if len(errs) > 0 {
		return nil, s.invalid(next, errs)
	}
	return next, nil
}

// mergeStatus computes the object a status update stores: a copy of cur with the client's status,
// less what the kind's StatusPreparer keeps as stored.
func (s *Store) mergeStatus(obj, cur scheme.Object) (scheme.Object, error) {
	var prepare func(obj, old scheme.Object)
	if p, ok := s.strategy.(strategy.StatusPreparer); ok {
		prepare = p.PrepareForStatusUpdate
	}
	return s.mergeStatusWith(obj, cur, prepare)
}

// mergeStatusWith computes the object a write of the status (or of the part of it prepare lets
// through) stores: cur with the client's status, then prepare(next, old) when set.
func (s *Store) mergeStatusWith(obj, cur scheme.Object, prepare func(obj, old scheme.Object)) (scheme.Object, error) {
	m := obj.GetMetadata()
	if err := s.checkPreconditions(cur, m.GetResourceVersion(), m.GetUid()); err != nil {
		return nil, err
	}
	// cur stays as it was: admission compares the two.
	next := cloneObject(cur)
	copyField(next, obj, s.statusField())
	if prepare != nil {
		prepare(next, cur)
	}
	if d, ok := s.strategy.(strategy.StatusDefaulter); ok {
		d.DefaultStatus(next)
	}
	if errs := s.strategy.ValidateStatus(next, cur); len(errs) > 0 {
		return nil, s.invalid(next, errs)
	}
	return next, nil
}

// mergeFinalize computes the namespace a finalize update stores: cur with the client's
// spec.finalizers.
func (s *Store) mergeFinalize(obj, cur scheme.Object) (scheme.Object, error) {
	m := obj.GetMetadata()
	if err := s.checkPreconditions(cur, m.GetResourceVersion(), m.GetUid()); err != nil {
		return nil, err
	}
	ns, in := cur.(*corev1.Namespace), obj.(*corev1.Namespace)
	if ns.Spec == nil {
		ns.Spec = &corev1.NamespaceSpec{}
	}
	ns.Spec.Finalizers = in.GetSpec().GetFinalizers()
	return ns, nil
}
