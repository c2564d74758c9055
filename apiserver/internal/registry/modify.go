package registry

import (
	"context"
	"errors"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// ModifyOptions qualify a Modify.
type ModifyOptions struct {
	DryRun bool
	// Subresource "" stores fn's object as an update of the object (its status kept from the
	// current one); "status" stores only fn's status.
	Subresource string
	// Create, when the object does not exist, calls fn with a nil current object and creates what
	// it returns.
	Create bool
	// Retries bounds how often fn runs again after another writer changed the object between
	// read and write; once they are spent, Modify fails with Conflict. 0 sets no bound: fn runs
	// again until it applies or ctx ends, as Kubernetes retries a write that pins no
	// resourceVersion until the request deadline. Every lost race is another writer's success,
	// so the cycle makes progress.
	Retries int
	// FieldManager names the writer in metadata.managedFields, which record the fields a write of
	// the object (not of its status) changes.
	FieldManager string
}

// ModifyFunc computes the object to store from cur, the current object, which it may change and
// return. Its resourceVersion and uid are preconditions, as in an update: the current ones when
// copied from cur, so only a value the caller pinned fails with Conflict. fn may run several times,
// each time on a newer object, and must do nothing but compute.
type ModifyFunc func(cur scheme.Object) (scheme.Object, error)

// Modify applies fn to the named object and stores the result as an update of the object (or of
// its status) would, with a write guarded on the revision fn saw. When another writer got there
// first, fn runs again on the newer object, at most opts.Retries times. With opts.Create, a missing
// object is created from fn(nil). It returns the object as stored (as it would be, in a dry run)
// and whether Modify created it.
func (s *Store) Modify(ctx context.Context, namespace, name string, opts ModifyOptions, fn ModifyFunc) (scheme.Object, bool, error) {
	if err := s.checkNamespace(namespace); err != nil {
		return nil, false, err
	}
	merge, err := s.merger(opts.Subresource, "patch")
	if err != nil {
		return nil, false, err
	}
	return s.modify(ctx, namespace, name, opts, func(cur scheme.Object) (scheme.Object, error) {
		var next scheme.Object
		if cur == nil {
			next, err = fn(nil)
		} else if next, err = fn(cloneObject(cur)); err == nil {
			// merge compares with the object fn started from, which fn may have changed.
			next, err = merge(next, cur)
		}
		if err == nil && opts.Subresource == "" {
			err = s.trackUpdate(cur, next, opts.FieldManager)
		}
		if err == nil && opts.Subresource == "" && cur != nil {
			err = s.admitWrite(ctx, namespace, next, cur, opts.DryRun)
		}
		if err == nil && opts.Subresource == "status" && cur != nil {
			err = s.admitStatus(ctx, namespace, next, cur, opts.DryRun)
		}
		return next, err
	})
}

// mutateFunc turns the current object (a copy the function may change) into the one to store, or,
// given nil, computes the object to create.
type mutateFunc func(cur scheme.Object) (scheme.Object, error)

// modify is the read-modify-write cycle every write of an existing object goes through: read the
// object, let fn compute the next state, write it guarded on the revision read. When another writer
// got there first, it reads again and calls fn again, at most opts.Retries times when that is set;
// fn fails the cycle with Conflict when its caller pinned a resourceVersion. A next state identical
// to the current one is not written, unless its stored value is stale (see storage.KV.Stale). An object whose deletion was only waiting for finalizers is
// deleted once they are gone. With opts.Create, a missing object is created from fn(nil), and
// created reports that it was.
//
// The first read comes from the watch cache, which is nearly always current, so a write costs one
// etcd transaction. A cached copy is only a guess: whenever it could mislead (the object seems
// missing, fn fails on it, the write seems to change nothing) the cycle reads etcd and decides
// again, and a guarded write never lands on a stale read. A write lost to the cache's lag costs no
// retry.
func (s *Store) modify(ctx context.Context, namespace, name string, opts ModifyOptions, fn mutateFunc) (scheme.Object, bool, error) {
	key := s.key(namespace, name)
	kv, fromCache, err := s.read(ctx, key)
	lost := 0
	// lose accounts for a write that found the object changed (or created, or gone) since the read.
	lose := func() error {
		if !fromCache {
			if lost++; opts.Retries > 0 && lost > opts.Retries {
				return s.conflict(name, apierrors.ModifiedMessage)
			}
		}
		fromCache = false
		return nil
	}
	for {
		if errors.Is(err, storage.ErrNotFound) && opts.Create {
			obj, createErr := s.createMissing(ctx, namespace, name, opts.DryRun, fn)
			if !errors.Is(createErr, storage.ErrExists) {
				return obj, createErr == nil, createErr
			}
			if err := lose(); err != nil {
				return nil, false, err
			}
			kv, err = s.storage.Get(ctx, key, 0)
			continue
		}
		if err != nil {
			return nil, false, s.storageErr(name, err)
		}
		cur := kv.Object
		next, fnErr := fn(cloneObject(cur))
		unchanged := false
		if fnErr == nil {
			scheme.Meta(next).ResourceVersion = cur.GetMetadata().GetResourceVersion()
			unchanged = proto.Equal(next, cur)
		}
		if fromCache && (fnErr != nil || unchanged) {
			kv, err = s.storage.Get(ctx, key, 0)
			fromCache = false
			continue
		}
		switch {
		case fnErr != nil:
			return nil, false, fnErr
		case unchanged && !kv.Stale:
			// A stale value (one encrypted with a key that is no longer the first) is written
			// anew even so: that is how every object is re-encrypted after a key rotation.
			return next, false, nil
		case opts.DryRun && s.finalized(next):
			return next, false, nil
		case opts.DryRun:
			if err := s.dryRunSizeCheck(next); err != nil {
				return nil, false, err
			}
			return next, false, nil
		case s.finalized(next):
			if _, kv, err = s.deleteKey(ctx, key, cur, kv.ModRevision); err == nil {
				return next, false, nil
			}
		default:
			if kv, err = s.updateKey(ctx, key, next, cur, kv.ModRevision); err == nil {
				return kv.Object, false, nil
			}
		}
		// The write failed; on a conflict kv holds the object as it found it.
		switch {
		case errors.Is(err, storage.ErrConflict):
			err = nil
		case errors.Is(err, storage.ErrNotFound) && opts.Create:
		default:
			return nil, false, s.storageErr(name, err)
		}
		if err := lose(); err != nil {
			return nil, false, err
		}
	}
}

// createMissing creates the named object from fn(nil), as Create would. It returns
// storage.ErrExists when another writer created the object first.
func (s *Store) createMissing(ctx context.Context, namespace, name string, dryRun bool, fn mutateFunc) (scheme.Object, error) {
	obj, err := fn(nil)
	if err != nil {
		return nil, err
	}
	if got := obj.GetMetadata().GetName(); got != name {
		return nil, apierrors.NewBadRequest("the name of the object (%s) does not match the name on the URL (%s)", got, name)
	}
	if err := s.admitCreate(ctx, namespace, obj, CreateOptions{DryRun: dryRun}); err != nil {
		return nil, err
	}
	if dryRun {
		return obj, s.dryRunSizeCheck(obj)
	}
	if _, err := s.createKey(ctx, s.key(namespace, name), obj); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return nil, err
		}
		return nil, s.storageErr(name, err)
	}
	return obj, nil
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
