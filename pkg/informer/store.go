package informer

import (
	"fmt"
	"sort"
	"sync"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// IndexFunc returns the index values of an object.
type IndexFunc[T scheme.Object] func(obj T) []string

// NamespaceIndex is the name of the index every store keeps: objects by namespace.
const NamespaceIndex = "namespace"

// Store is a thread-safe, indexed map from key ("namespace/name" or "name") to object.
type Store[T scheme.Object] struct {
	mu       sync.RWMutex
	items    map[string]T
	indexers map[string]IndexFunc[T]
	indices  map[string]map[string]map[string]struct{} // index -> value -> keys
}

func newStore[T scheme.Object](indexers map[string]IndexFunc[T]) *Store[T] {
	all := map[string]IndexFunc[T]{
		NamespaceIndex: func(obj T) []string { return []string{obj.GetMetadata().GetNamespace()} },
	}
	for name, fn := range indexers {
		all[name] = fn
	}
	s := &Store[T]{items: map[string]T{}, indexers: all, indices: map[string]map[string]map[string]struct{}{}}
	for name := range all {
		s.indices[name] = map[string]map[string]struct{}{}
	}
	return s
}

// put stores obj and returns the object it replaced.
func (s *Store[T]) put(obj T) (old T, existed bool) {
	key := scheme.Key(obj)
	s.mu.Lock()
	defer s.mu.Unlock()
	old, existed = s.items[key]
	if existed {
		s.unindex(key, old)
	}
	s.items[key] = obj
	for name, fn := range s.indexers {
		for _, v := range fn(obj) {
			set := s.indices[name][v]
			if set == nil {
				set = map[string]struct{}{}
				s.indices[name][v] = set
			}
			set[key] = struct{}{}
		}
	}
	return old, existed
}

// remove deletes the object at key and returns it.
func (s *Store[T]) remove(key string) (old T, existed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, existed = s.items[key]
	if existed {
		s.unindex(key, old)
		delete(s.items, key)
	}
	return old, existed
}

func (s *Store[T]) unindex(key string, obj T) {
	for name, fn := range s.indexers {
		for _, v := range fn(obj) {
			if set := s.indices[name][v]; set != nil {
				delete(set, key)
				if len(set) == 0 {
					delete(s.indices[name], v)
				}
			}
		}
	}
}

// addIndexers adds indices and fills them from the objects stored. A name taken already is an
// error, and then nothing is added.
func (s *Store[T]) addIndexers(indexers map[string]IndexFunc[T]) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range indexers {
		if _, ok := s.indexers[name]; ok {
			return fmt.Errorf("informer: index %q exists already", name)
		}
	}
	for name, fn := range indexers {
		s.indexers[name] = fn
		idx := map[string]map[string]struct{}{}
		for key, obj := range s.items {
			for _, v := range fn(obj) {
				if idx[v] == nil {
					idx[v] = map[string]struct{}{}
				}
				idx[v][key] = struct{}{}
			}
		}
		s.indices[name] = idx
	}
	return nil
}

// keys returns every key.
func (s *Store[T]) keys() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.items))
	for k := range s.items {
		out = append(out, k)
	}
	return out
}

// Get returns the object at key ("namespace/name", or "name" for cluster-scoped kinds).
func (s *Store[T]) Get(key string) (T, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	obj, ok := s.items[key]
	return obj, ok
}

// List returns every object, ordered by key.
func (s *Store[T]) List() []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := make([]string, 0, len(s.items))
	for k := range s.items {
		keys = append(keys, k)
	}
	return s.sorted(keys)
}

// ByIndex returns the objects whose index values include value, ordered by key. An unknown index
// returns nothing.
func (s *Store[T]) ByIndex(index, value string) []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	set := s.indices[index][value]
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	return s.sorted(keys)
}

// sorted returns the objects at keys in key order; the caller holds s.mu.
func (s *Store[T]) sorted(keys []string) []T {
	sort.Strings(keys)
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = s.items[k]
	}
	return out
}

// Len returns the number of objects.
func (s *Store[T]) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.items)
}
