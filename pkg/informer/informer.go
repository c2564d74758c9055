package informer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// ListerWatcher lists and watches one resource; *client.Resource is one.
type ListerWatcher[T scheme.Object] interface {
	List(ctx context.Context, opts client.ListOptions) (*client.List[T], error)
	Watch(ctx context.Context, opts client.ListOptions) (*client.Watcher[T], error)
}

// Options shape an Informer.
type Options[T scheme.Object] struct {
	// LabelSelector and FieldSelector narrow what the informer sees.
	LabelSelector string
	FieldSelector string
	// ResyncPeriod, when positive, replays every object as an update that often.
	ResyncPeriod time.Duration
	// Indexers adds indices beyond NamespaceIndex.
	Indexers map[string]IndexFunc[T]
	Clock    clock.Clock
	Logger   *zap.Logger
}

// Informer mirrors one resource. Add handlers, then Run; Store and Lister serve reads once
// HasSynced.
type Informer[T scheme.Object] struct {
	lw    ListerWatcher[T]
	opts  Options[T]
	store *Store[T]

	mu        sync.Mutex
	listeners []*listener[T]
	runCtx    context.Context // the Run context, set while Run runs; listeners added late start under it
	wg        sync.WaitGroup

	listed     bool          // the first list is stored and its notifications queued; under mu
	unsynced   atomic.Int32  // handlers added before the first list that have not yet had it all
	synced     chan struct{} // closed once unsynced reaches 0 after the first list
	syncedOnce sync.Once
	lastRV     atomic.Value
	lists      atomic.Int64
}

// New returns an informer of lw.
func New[T scheme.Object](lw ListerWatcher[T], opts Options[T]) *Informer[T] {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	i := &Informer[T]{lw: lw, opts: opts, store: newStore(opts.Indexers), synced: make(chan struct{})}
	i.lastRV.Store("")
	return i
}

// Store returns the informer's local copy.
func (i *Informer[T]) Store() *Store[T] { return i.store }

// Lister returns a lister over the informer's local copy.
func (i *Informer[T]) Lister() Lister[T] { return Lister[T]{store: i.store} }

// AddIndexers adds indices to the store, filled from what it holds already, so that consumers of
// a shared informer can each bring their own. A name taken already is an error, and then nothing
// is added.
func (i *Informer[T]) AddIndexers(indexers map[string]IndexFunc[T]) error {
	return i.store.addIndexers(indexers)
}

// HasSynced reports whether the first list has been stored and every handler added before it has
// been called with all of it, as client-go's handler registrations report: a component that
// builds its own state in its handlers (the scheduler's node cache) may act once HasSynced, not
// only once the store is full.
func (i *Informer[T]) HasSynced() bool {
	select {
	case <-i.synced:
		return true
	default:
		return false
	}
}

// HasListed reports whether the first list is in the store, whether or not every handler has had
// it yet: from then on the store can answer for any object.
func (i *Informer[T]) HasListed() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.listed
}

// WaitForSync waits until HasSynced or ctx ends, and reports which.
func (i *Informer[T]) WaitForSync(ctx context.Context) bool {
	select {
	case <-i.synced:
		return true
	case <-ctx.Done():
		return false
	}
}

// LastResourceVersion returns the last resourceVersion the informer saw.
func (i *Informer[T]) LastResourceVersion() string { return i.lastRV.Load().(string) }

// Lists returns how many times the informer has listed: 1 after the first sync, more after each
// relist.
func (i *Informer[T]) Lists() int64 { return i.lists.Load() }

// AddHandler adds a handler. Added after the first list, it first gets an add for every object in
// the store; HasSynced does not wait for it.
func (i *Informer[T]) AddHandler(h Handler[T]) {
	l := newListener(h)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.listeners = append(i.listeners, l)
	if i.listed {
		for _, obj := range i.store.List() {
			l.add(notification[T]{kind: addNotification, cur: obj})
		}
	}
	if i.runCtx != nil {
		i.startListener(l)
	}
}

// startListener runs l under the Run context; the caller holds i.mu.
func (i *Informer[T]) startListener(l *listener[T]) {
	i.wg.Add(1)
	go func() {
		defer i.wg.Done()
		l.run(i.runCtx)
	}()
}

func (i *Informer[T]) notify(ns ...notification[T]) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.queueLocked(ns)
}

func (i *Informer[T]) queueLocked(ns []notification[T]) {
	for _, n := range ns {
		for _, l := range i.listeners {
			l.add(n)
		}
	}
}

// handlerSynced counts one handler as having had all of the first list; the last one marks the
// informer synced.
func (i *Informer[T]) handlerSynced() {
	if i.unsynced.Add(-1) == 0 {
		i.syncedOnce.Do(func() { close(i.synced) })
	}
}

// errRelist ends a list-and-watch cycle whose resourceVersion is gone.
var errRelist = errors.New("resource version expired: relisting")

// Run lists and watches until ctx ends, then waits for every handler goroutine to return.
func (i *Informer[T]) Run(ctx context.Context) error {
	i.mu.Lock()
	i.runCtx = ctx
	for _, l := range i.listeners {
		i.startListener(l)
	}
	i.mu.Unlock()
	defer func() {
		i.wg.Wait()
		i.mu.Lock()
		i.runCtx = nil
		i.mu.Unlock()
	}()

	backoff := 100 * time.Millisecond
	for {
		err := i.listAndWatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRelist) {
			backoff = 100 * time.Millisecond
			continue
		}
		i.opts.Logger.Warn("list and watch failed", zap.Error(err))
		select {
		case <-ctx.Done():
			return nil
		case <-i.opts.Clock.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listAndWatch lists, stores the difference, and watches from the list's version until the watch
// can no longer be resumed.
func (i *Informer[T]) listAndWatch(ctx context.Context) error {
	list, err := i.lw.List(ctx, client.ListOptions{LabelSelector: i.opts.LabelSelector, FieldSelector: i.opts.FieldSelector})
	if err != nil {
		return err
	}
	i.lists.Add(1)
	i.lastRV.Store(list.ResourceVersion)
	i.replace(list.Items)

	var resync <-chan time.Time
	if i.opts.ResyncPeriod > 0 {
		t := i.opts.Clock.NewTicker(i.opts.ResyncPeriod)
		defer t.Stop()
		resync = t.C()
	}
	backoff := 50 * time.Millisecond
	for {
		w, err := i.lw.Watch(ctx, client.ListOptions{
			LabelSelector: i.opts.LabelSelector, FieldSelector: i.opts.FieldSelector,
			ResourceVersion: i.LastResourceVersion(), AllowBookmarks: true,
		})
		if apierrors.IsGone(err) {
			return errRelist
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			i.opts.Logger.Debug("watch failed; retrying", zap.Error(err))
			select {
			case <-ctx.Done():
				return nil
			case <-i.opts.Clock.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		if err := i.consume(ctx, w, resync); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// consume applies a watch's events until it ends; errRelist when it ended with Gone.
func (i *Informer[T]) consume(ctx context.Context, w *client.Watcher[T], resync <-chan time.Time) error {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync:
			for _, obj := range i.store.List() {
				i.notify(notification[T]{kind: updateNotification, old: obj, cur: obj})
			}
		case ev, ok := <-w.Events():
			if !ok {
				if apierrors.IsGone(w.Err()) {
					return errRelist
				}
				return nil
			}
			switch ev.Type {
			case client.Added, client.Modified:
				if old, existed := i.store.put(ev.Object); existed {
					i.notify(notification[T]{kind: updateNotification, old: old, cur: ev.Object})
				} else {
					i.notify(notification[T]{kind: addNotification, cur: ev.Object})
				}
			case client.Deleted:
				if old, existed := i.store.remove(scheme.Key(ev.Object)); existed {
					i.notify(notification[T]{kind: deleteNotification, old: old})
				}
			}
			i.lastRV.Store(ev.Object.GetMetadata().GetResourceVersion())
		}
	}
}

// replace makes the store hold exactly items, notifying adds, updates (for objects whose
// resourceVersion changed) and deletes. The notifications are queued at once, under the lock
// AddHandler takes, so a handler added meanwhile gets either all of them or the store's contents.
// After the first list, each handler also gets a marker after them that counts it as synced.
func (i *Informer[T]) replace(items []T) {
	var ns []notification[T]
	seen := make(map[string]struct{}, len(items))
	for _, obj := range items {
		key := scheme.Key(obj)
		seen[key] = struct{}{}
		old, existed := i.store.put(obj)
		switch {
		case !existed:
			ns = append(ns, notification[T]{kind: addNotification, cur: obj})
		case old.GetMetadata().GetResourceVersion() != obj.GetMetadata().GetResourceVersion():
			ns = append(ns, notification[T]{kind: updateNotification, old: old, cur: obj})
		}
	}
	for _, key := range i.store.keys() {
		if _, ok := seen[key]; !ok {
			if old, existed := i.store.remove(key); existed {
				ns = append(ns, notification[T]{kind: deleteNotification, old: old})
			}
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.queueLocked(ns)
	if i.listed {
		return
	}
	i.listed = true
	i.unsynced.Store(int32(len(i.listeners)) + 1)
	for _, l := range i.listeners {
		l.add(notification[T]{kind: syncedNotification, synced: i.handlerSynced})
	}
	i.handlerSynced() // the +1: with no handler, synced now
}
