package informer

import "github.com/keelson-dev/keelson/pkg/scheme"

// Lister reads an informer's local copy.
type Lister[T scheme.Object] struct {
	store *Store[T]
}

// Get returns the named object of a namespace ("" for cluster-scoped kinds).
func (l Lister[T]) Get(namespace, name string) (T, bool) {
	if namespace == "" {
		return l.store.Get(name)
	}
	return l.store.Get(namespace + "/" + name)
}

// List returns every object, ordered by key.
func (l Lister[T]) List() []T { return l.store.List() }

// ListNamespace returns the objects of one namespace, ordered by key.
func (l Lister[T]) ListNamespace(namespace string) []T {
	return l.store.ByIndex(NamespaceIndex, namespace)
}

// ByIndex returns the objects an index maps value to.
func (l Lister[T]) ByIndex(index, value string) []T { return l.store.ByIndex(index, value) }

// Select returns the objects for which keep returns true, ordered by key.
func (l Lister[T]) Select(keep func(T) bool) []T {
	var out []T
	for _, obj := range l.store.List() {
		if keep(obj) {
			out = append(out, obj)
		}
	}
	return out
}
