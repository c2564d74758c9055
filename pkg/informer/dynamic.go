package informer

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Dynamic is a shared informer seen without its Go type, for consumers that handle every kind
// alike (the garbage collector): objects come as scheme.Object. Every *Informer[T] is one.
type Dynamic interface {
	// AddObjectHandler adds a handler receiving the informer's objects as scheme.Object, with
	// AddHandler's guarantees.
	AddObjectHandler(h Handler[scheme.Object])
	// GetObject returns the named object of a namespace ("" for cluster-scoped kinds).
	GetObject(namespace, name string) (scheme.Object, bool)
	// ListObjects returns every object the cache holds.
	ListObjects() []scheme.Object
	HasSynced() bool
	WaitForSync(ctx context.Context) bool
}

// AddObjectHandler adds h as a handler of i's objects seen as scheme.Object.
func (i *Informer[T]) AddObjectHandler(h Handler[scheme.Object]) {
	var th Handler[T]
	if h.OnAdd != nil {
		th.OnAdd = func(obj T) { h.OnAdd(obj) }
	}
	if h.OnUpdate != nil {
		th.OnUpdate = func(old, cur T) { h.OnUpdate(old, cur) }
	}
	if h.OnDelete != nil {
		th.OnDelete = func(obj T) { h.OnDelete(obj) }
	}
	i.AddHandler(th)
}

// ListObjects returns every object of i's cache.
func (i *Informer[T]) ListObjects() []scheme.Object {
	l := i.Lister().List()
	out := make([]scheme.Object, len(l))
	for j, o := range l {
		out[j] = o
	}
	return out
}

// GetObject returns the named object from i's cache.
func (i *Informer[T]) GetObject(namespace, name string) (scheme.Object, bool) {
	obj, ok := i.Lister().Get(namespace, name)
	if !ok {
		return nil, false
	}
	return obj, true
}

// ForKind returns f's shared informer of every object of kind k as a Dynamic: the typed
// informer when For made one already, otherwise a new one holding scheme.Object, started at
// once when f has started. A kind asked for through ForKind first cannot be asked for through
// For afterwards (For panics), so a consumer of every kind asks once the typed consumers have
// been built: when it runs, not when it is constructed.
func ForKind(f *Factory, k *scheme.Kind) Dynamic {
	key := factoryKey{gvr: k.GVR()}
	f.mu.Lock()
	defer f.mu.Unlock()
	if inf, ok := f.informers[key]; ok {
		return inf
	}
	inf := New[scheme.Object](client.ForKind(f.client, k, ""), Options[scheme.Object]{
		ResyncPeriod: f.opts.ResyncPeriod, Clock: f.opts.Clock, Logger: f.opts.Logger.Named(k.Resource),
	})
	f.informers[key] = inf
	if f.ctx != nil {
		f.startLocked(inf)
	}
	return inf
}

// typed returns inf as an *Informer[T], or panics naming the clash of a kind first asked for
// through ForKind.
func typed[T scheme.Object](inf runnable, gvr scheme.GroupVersionResource) *Informer[T] {
	t, ok := inf.(*Informer[T])
	if !ok {
		panic(fmt.Sprintf("informer: %s was asked for through ForKind before For; ask For first", gvr))
	}
	return t
}
