package controller

import (
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/workqueue"
)

// Enqueue returns an informer handler that puts the key ("namespace/name", or "name" for
// cluster-scoped kinds) of every added, updated and deleted object on q: the usual way a
// controller learns that an object of its own kind may need work. A handler that maps an object
// to another's key (a pod to its owner) is written by hand on the same pattern.
func Enqueue[T scheme.Object](q workqueue.Interface[string]) informer.Handler[T] {
	add := func(obj T) { q.Add(scheme.Key(obj)) }
	return informer.Handler[T]{
		OnAdd:    add,
		OnUpdate: func(_, cur T) { add(cur) },
		OnDelete: add,
	}
}
