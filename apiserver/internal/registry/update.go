package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// UpdateOptions qualify an Update.
type UpdateOptions struct {
	DryRun       bool
	FieldManager string
	// Subresource "" replaces the object but not its status; "status" replaces only the status;
	// "finalize" (namespaces) replaces only spec.finalizers.
	Subresource string
}

// mutateFunc turns the current object (a copy the function may change) into the one to store.
type mutateFunc func(cur scheme.Object) (scheme.Object, error)

// modify is the read-modify-write cycle every write of an existing object goes through: read the
// object, let fn compute the next state, write it guarded on the revision read. When another writer
// got there first, it reads again and calls fn again; fn fails the cycle with Conflict when its
// caller pinned a resourceVersion. A next state identical to the current one is not written. An
// object whose deletion was only waiting for finalizers is deleted once they are gone.
//
// The first read comes from the watch cache, which is nearly always current, so a write costs one
// etcd transaction. A cached copy is only a guess: whenever it could mislead (the object seems
// missing, fn sees a stale resourceVersion, the write seems to change nothing) the cycle reads etcd
// and decides again, and a guarded write never lands on a stale read.
func (s *Store) modify(ctx context.Context, namespace, name string, dryRun bool, fn mutateFunc) (scheme.Object, error) {
	key := s.key(namespace, name)
	kv, fromCache, err := s.read(ctx, key)
	if err != nil {
		return nil, s.storageErr(name, err)
	}
	for {
		cur := kv.Object
		next, err := fn(cloneObject(cur))
		if err != nil {
			if fromCache && apierrors.IsConflict(err) {
				if kv, err = s.storage.Get(ctx, key, 0); err != nil {
					return nil, s.storageErr(name, err)
				}
				fromCache = false
				continue
			}
			return nil, err
		}
		scheme.Meta(next).ResourceVersion = cur.GetMetadata().GetResourceVersion()
		if proto.Equal(next, cur) {
			if fromCache {
				if kv, err = s.storage.Get(ctx, key, 0); err != nil {
					return nil, s.storageErr(name, err)
				}
				fromCache = false
				continue
			}
			return next, nil
		}
		fromCache = false
		if s.finalized(next) {
			if dryRun {
				return next, nil
			}
			_, latest, err := s.storage.Delete(ctx, key, kv.ModRevision)
			if errors.Is(err, storage.ErrConflict) {
				kv = latest
				continue
			}
			if err != nil {
				return nil, s.storageErr(name, err)
			}
			return next, nil
		}
		if dryRun {
			if err := s.dryRunSizeCheck(next); err != nil {
				return nil, err
			}
			return next, nil
		}
		res, err := s.storage.Update(ctx, key, next, kv.ModRevision)
		if errors.Is(err, storage.ErrConflict) {
			kv = res
			continue
		}
		if err != nil {
			return nil, s.storageErr(name, err)
		}
		return res.Object, nil
	}
}

// read returns the object at key from the watch cache when it has it (fromCache true), otherwise
// from etcd. A cached object is shared: callers clone before changing it.
func (s *Store) read(ctx context.Context, key string) (kv storage.KV, fromCache bool, err error) {
	if obj, ok, err := s.cache.Get(ctx, key); err == nil && ok {
		if rev, err := strconv.ParseInt(obj.GetMetadata().GetResourceVersion(), 10, 64); err == nil {
			return storage.KV{Key: key, Object: obj, ModRevision: rev}, true, nil
		}
	}
	kv, err = s.storage.Get(ctx, key, 0)
	return kv, false, err
}

// finalized reports whether obj is marked for deletion and nothing holds it any more: no finalizers
// (and, for namespaces, no spec.finalizers) and no grace period left to confirm.
func (s *Store) finalized(obj scheme.Object) bool {
	m := obj.GetMetadata()
	if m.GetDeletionTimestamp() == nil || len(m.GetFinalizers()) > 0 || m.GetDeletionGracePeriodSeconds() > 0 {
		return false
	}
	if ns, ok := obj.(*corev1.Namespace); ok && len(ns.GetSpec().GetFinalizers()) > 0 {
		return false
	}
	return true
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
	if s.kind.Namespaced && m.Namespace != "" && m.Namespace != namespace {
		return nil, apierrors.NewBadRequest("the namespace of the provided object (%q) does not match the namespace sent on the request (%q)", m.Namespace, namespace)
	}
	if m.GetName() == "" {
		return nil, s.invalid(obj, field.ErrorList{field.Required(field.NewPath("metadata", "name"), "name is required")})
	}
	var fn mutateFunc
	switch opts.Subresource {
	case "":
		fn = func(cur scheme.Object) (scheme.Object, error) { return s.mergeUpdate(obj, cur) }
	case "status":
		if s.statusField() == nil {
			return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/status", "update")
		}
		fn = func(cur scheme.Object) (scheme.Object, error) { return s.mergeStatus(obj, cur) }
	case "finalize":
		if s.kind.Kind != "Namespace" {
			return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/finalize", "update")
		}
		fn = func(cur scheme.Object) (scheme.Object, error) { return s.mergeFinalize(obj, cur) }
	default:
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/"+opts.Subresource, "update")
	}
	return s.modify(ctx, namespace, m.GetName(), opts.DryRun, fn)
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

// mergeStatus computes the object a status update stores: cur with the client's status.
func (s *Store) mergeStatus(obj, cur scheme.Object) (scheme.Object, error) {
	m := obj.GetMetadata()
	if err := s.checkPreconditions(cur, m.GetResourceVersion(), m.GetUid()); err != nil {
		return nil, err
	}
	old := cloneObject(cur)
	copyField(cur, obj, s.statusField())
	if errs := s.strategy.ValidateStatus(cur, old); len(errs) > 0 {
		return nil, s.invalid(cur, errs)
	}
	return cur, nil
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
