package registry

import (
	"context"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// WriteHook reserves what an object holds outside its own key, such as a Service's cluster IP and
// node ports, around the object's writes. The store calls Reserve before every create or update
// it sends to etcd and the returned Settle once the write is decided; it calls Released after an
// object is removed. Dry runs and writes that change nothing call neither.
type WriteHook interface {
	// Reserve takes what obj needs before it replaces old (nil on create), and may fill in obj
	// what it took. It fails with an API error (Invalid for a bad request) when obj cannot have
	// what it asks for; then nothing is written.
	Reserve(ctx context.Context, obj, old scheme.Object) (Settle, error)
	// Released gives back what a removed object held.
	Released(ctx context.Context, obj scheme.Object)
}

// Settle ends a reservation once its write is decided: stored says whether the object was
// written. After a write it gives back what the old object held and the new one does not; after
// a failed write, what Reserve took.
type Settle func(ctx context.Context, stored bool)

// createKey stores a new object at key, within its hook's reservation.
func (s *Store) createKey(ctx context.Context, key string, obj scheme.Object) (int64, error) {
	if s.hook == nil {
		return s.storage.Create(ctx, key, obj)
	}
	settle, err := s.hook.Reserve(ctx, obj, nil)
	if err != nil {
		return 0, err
	}
	rev, err := s.storage.Create(ctx, key, obj)
	settle(ctx, err == nil)
	return rev, err
}

// updateKey replaces cur, at revision expect, with next, within its hook's reservation.
func (s *Store) updateKey(ctx context.Context, key string, next, cur scheme.Object, expect int64) (storage.KV, error) {
	if s.hook == nil {
		return s.storage.Update(ctx, key, next, expect)
	}
	settle, err := s.hook.Reserve(ctx, next, cur)
	if err != nil {
		return storage.KV{}, err
	}
	kv, err := s.storage.Update(ctx, key, next, expect)
	settle(ctx, err == nil)
	return kv, err
}

// deleteKey removes cur, at revision expect, and gives back what it held.
func (s *Store) deleteKey(ctx context.Context, key string, cur scheme.Object, expect int64) (int64, storage.KV, error) {
	rev, kv, err := s.storage.Delete(ctx, key, expect)
	if err == nil && s.hook != nil {
		s.hook.Released(ctx, cur)
	}
	return rev, kv, err
}
