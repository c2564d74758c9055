package rbac

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/watchcache"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Source is where the authorizer reads roles and bindings: the registry, whose watch caches
// serve the watches.
type Source interface {
	Store(gvr scheme.GroupVersionResource) (*registry.Store, error)
}

// Resources are the RBAC resources, in the order their kinds are loaded.
var resources = []string{"clusterroles", "clusterrolebindings", "roles", "rolebindings"}

// retryWatch is how long a failed watch waits before it is opened again.
const retryWatch = 500 * time.Millisecond

// Run keeps the authorizer's index up to date with one watch per RBAC resource until ctx ends;
// the authorizer has an opinion once every watch has delivered its initial state. A watch that
// ends (the cache reset, or the watcher fell behind) is opened again and its state replaced. Run
// returns nil when ctx ends, having stopped every watch.
func (a *Authorizer) Run(ctx context.Context) error {
	stores := make([]*registry.Store, len(resources))
	for i, res := range resources {
		st, err := a.src.Store(scheme.GroupVersionResource{Group: scheme.GroupRBAC, Version: "v1", Resource: res})
		if err != nil {
			return fmt.Errorf("rbac: %w", err)
		}
		stores[i] = st
	}
	var wg sync.WaitGroup
	loaded := make([]chan struct{}, len(stores))
	for i, st := range stores {
		loaded[i] = make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.follow(ctx, st, loaded[i])
		}()
	}
	for _, ch := range loaded {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	if ctx.Err() == nil {
		a.markSynced()
	}
	wg.Wait()
	return nil
}

// follow watches one resource, replacing its objects with each watch's initial state and then
// applying its changes; it closes loaded once the first initial state is in.
func (a *Authorizer) follow(ctx context.Context, st *registry.Store, loaded chan struct{}) {
	first := true
	for ctx.Err() == nil {
		err := a.watchOnce(ctx, st, func() {
			if first {
				first = false
				close(loaded)
			}
		})
		if ctx.Err() != nil {
			return
		}
		// The watch is opened again: its end (a cache still loading or reset, a watcher that fell
		// behind) is transient.
		a.lastErr.Store(&err)
		t := time.NewTimer(retryWatch)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// watchOnce runs one watch until it ends or ctx does.
func (a *Authorizer) watchOnce(ctx context.Context, st *registry.Store, onLoaded func()) error {
	w, err := st.Watch(ctx, "", registry.WatchOptions{SendInitialEvents: true})
	if err != nil {
		return err
	}
	defer w.Stop()
	var initial []scheme.Object
	inInitial := true
	for {
		var e *watchcache.Event
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok = <-w.Events():
		}
		if !ok {
			return w.Err()
		}
		switch {
		case inInitial && e.Type == watchcache.Bookmark:
			if e.Object.GetMetadata().GetAnnotations()[watchcache.InitialEventsEndAnnotation] != "true" {
				continue
			}
			inInitial = false
			res := st.Kind().Resource
			a.update(func(o *objects) {
				o.reset(res)
				for _, obj := range initial {
					o.put(obj, false)
				}
			})
			initial = nil
			onLoaded()
		case inInitial:
			initial = append(initial, e.Object)
		case e.Type == watchcache.Added || e.Type == watchcache.Modified || e.Type == watchcache.Deleted:
			deleted := e.Type == watchcache.Deleted
			a.update(func(o *objects) { o.put(e.Object, deleted) })
		}
	}
}
