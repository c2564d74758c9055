package watchcache

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/wire"
)

// Config configures a Cache.
type Config struct {
	// Resource names the resource in messages ("pods").
	Resource string
	// Prefix is the storage prefix of the resource's keys, ending in "/".
	Prefix string
	Store  *storage.Store
	// New returns an empty object of the resource's kind (used for bookmarks).
	New func() scheme.Object
	// Fields returns an object's selectable fields.
	Fields func(scheme.Object) map[string]string
	// Capacity is how many recent events the cache keeps for watches that resume (default 4096).
	Capacity int
	// WatcherBuffer is how many events a watcher may fall behind before it is cut off (default 1024).
	WatcherBuffer int
	// HistoryWindow is how many store revisions of history the cache replays from etcd when it
	// starts, so clients of a restarted apiserver resume where they were (default 10000).
	HistoryWindow int64
	// BookmarkInterval is how often watchers that asked for bookmarks get one (default 10s).
	BookmarkInterval time.Duration
	// FreshnessTimeout bounds how long a watch from a newer revision than the cache has waits for
	// the cache to catch up (default 3s).
	FreshnessTimeout time.Duration
	// DispatchBudget bounds how long one batch of etcd events may wait, in total, for watchers with
	// full buffers to make room before those watchers are cut off (default 100ms). etcd delivers
	// events in bursts (a batch per 100ms while a watch catches up), so a healthy watcher may briefly
	// hold more than its buffer; a stalled one costs the others at most this much, once.
	DispatchBudget time.Duration
	// Clock times bookmarks, freshness waits, the dispatch budget and restarts (default the real
	// clock).
	Clock  clock.Clock
	Logger *zap.Logger
}

func (c *Config) setDefaults() {
	if c.Capacity <= 0 {
		c.Capacity = 4096
	}
	if c.WatcherBuffer <= 0 {
		c.WatcherBuffer = 1024
	}
	if c.HistoryWindow <= 0 {
		c.HistoryWindow = 10000
	}
	if c.BookmarkInterval <= 0 {
		c.BookmarkInterval = 10 * time.Second
	}
	if c.FreshnessTimeout <= 0 {
		c.FreshnessTimeout = 3 * time.Second
	}
	if c.DispatchBudget <= 0 {
		c.DispatchBudget = 100 * time.Millisecond
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// item is one object in the current state.
type item struct {
	obj   scheme.Object
	attrs attrs
}

// Cache is one resource's watch cache. Create it with New, start it with Run; every other method
// may be called from any goroutine and waits for the cache to be ready.
type Cache struct {
	cfg Config

	mu       sync.RWMutex
	ready    bool
	rev      int64 // the cache reflects every change up to rev
	oldest   int64 // the ring holds every change after oldest
	items    map[string]*item
	ring     []*Event
	head     int // index of the oldest event in ring
	size     int
	watchers map[*Watcher]struct{}
	// changed is closed and replaced whenever rev advances or readiness changes.
	changed chan struct{}
	// wantProgress asks Run to request a progress notification from etcd: a waiter needs the
	// cache to reach a revision that a quiet resource would otherwise only learn of at the next
	// bookmark tick.
	wantProgress chan struct{}
}

// New returns a cache; it serves nothing until Run has loaded the resource.
func New(cfg Config) *Cache {
	cfg.setDefaults()
	return &Cache{
		cfg:          cfg,
		items:        map[string]*item{},
		ring:         make([]*Event, cfg.Capacity),
		watchers:     map[*Watcher]struct{}{},
		changed:      make(chan struct{}),
		wantProgress: make(chan struct{}, 1),
	}
}

// Run loads the resource, then follows it with one etcd watch until ctx ends. When the etcd watch
// fails (its revision was compacted, say) the cache ends every watcher and reloads. It returns nil
// once ctx ends, after ending every watcher.
func (c *Cache) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		err := c.runOnce(ctx)
		c.reset(err)
		if ctx.Err() != nil {
			return nil
		}
		c.cfg.Logger.Warn("watch cache restarting", zap.String("resource", c.cfg.Resource), zap.Error(err))
		select {
		case <-ctx.Done():
			return nil
		case <-c.cfg.Clock.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// reset forgets the state and ends every watcher, which resume with a new watch.
func (c *Cache) reset(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w := range c.watchers {
		w.end(fmt.Errorf("watch cache reset: %w", cause))
	}
	c.watchers = map[*Watcher]struct{}{}
	c.items = map[string]*item{}
	c.ready = false
	c.size, c.head = 0, 0
	clear(c.ring)
	c.broadcast()
}

func (c *Cache) broadcast() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// runOnce loads the state at a past revision, then replays and follows etcd's history from there.
func (c *Cache) runOnce(ctx context.Context) error {
	st := c.cfg.Store
	cur, err := st.Revision(ctx)
	if err != nil {
		return err
	}
	start := max(cur-c.cfg.HistoryWindow, 1)
	if compacted, err := st.CompactedRevision(ctx); err == nil && start < compacted {
		start = compacted
	}
	page, err := st.List(ctx, c.cfg.Prefix, "", start, 0)
	if errors.Is(err, storage.ErrCompacted) {
		start = cur
		page, err = st.List(ctx, c.cfg.Prefix, "", start, 0)
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", c.cfg.Resource, err)
	}
	c.mu.Lock()
	for _, kv := range page.Items {
		c.items[kv.Key] = &item{obj: kv.Object, attrs: c.attrsOf(kv.Object)}
	}
	c.rev, c.oldest = start, start
	c.mu.Unlock()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := st.Watch(wctx, c.cfg.Prefix, start+1)

	bookmarks := c.cfg.Clock.NewTicker(c.cfg.BookmarkInterval)
	defer bookmarks.Stop()
	// Until the replay reaches cur, ask etcd for progress so a quiet resource becomes ready too.
	catchUp := c.cfg.Clock.NewTicker(50 * time.Millisecond)
	defer catchUp.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-catchUp.C():
			if c.isReady() {
				catchUp.Stop()
				continue
			}
			w.RequestProgress()
		case <-bookmarks.C():
			w.RequestProgress()
			c.sendBookmarks()
		case <-c.wantProgress:
			w.RequestProgress()
		case b, ok := <-w.C:
			if !ok {
				if err := ctx.Err(); err != nil {
					return err
				}
				return fmt.Errorf("etcd watch on %s closed", c.cfg.Prefix)
			}
			if b.Err != nil {
				return fmt.Errorf("etcd watch on %s: %w", c.cfg.Prefix, b.Err)
			}
			c.apply(b, cur)
		}
	}
}

func (c *Cache) isReady() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ready
}

func (c *Cache) attrsOf(obj scheme.Object) attrs {
	return attrs{labels: obj.GetMetadata().GetLabels(), fields: c.cfg.Fields(obj)}
}

// apply folds one batch of the etcd watch into the state, the ring and every watcher.
func (c *Cache) apply(resp storage.WatchBatch, readyAt int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	budget := newBudget(c.cfg.Clock, c.cfg.DispatchBudget)
	defer budget.stop()
	for _, ev := range resp.Events {
		key := string(ev.Kv.Key)
		var e *Event
		switch ev.Type {
		case mvccpb.PUT:
			obj, raw, err := c.cfg.Store.DecodeRaw(key, ev.Kv.Value)
			if err != nil {
				c.cfg.Logger.Error("skipping undecodable object", zap.String("key", key), zap.Error(err))
				continue
			}
			scheme.Meta(obj).ResourceVersion = fmt.Sprint(ev.Kv.ModRevision)
			e = &Event{Type: Added, Key: key, Object: obj, Rev: ev.Kv.ModRevision, attrs: c.attrsOf(obj), raw: raw}
			if old, ok := c.items[key]; ok {
				e.Type = Modified
				prev := old.attrs
				e.prevAttrs = &prev
			}
			c.items[key] = &item{obj: obj, attrs: e.attrs}
		case mvccpb.DELETE:
			old, ok := c.items[key]
			if !ok {
				continue
			}
			obj := wire.Clone(old.obj)
			scheme.Meta(obj).ResourceVersion = fmt.Sprint(ev.Kv.ModRevision)
			prev := old.attrs
			e = &Event{Type: Deleted, Key: key, Object: obj, Rev: ev.Kv.ModRevision, attrs: prev, prevAttrs: &prev}
			delete(c.items, key)
		}
		c.push(e)
		c.rev = e.Rev
		for w := range c.watchers {
			if !w.offer(e, budget) {
				delete(c.watchers, w)
			}
		}
	}
	if resp.IsProgress() && resp.Revision > c.rev {
		c.rev = resp.Revision
	}
	if resp.Created && c.rev >= readyAt {
		// The watch is registered and there was nothing to replay: the list is the current
		// state and every later change will arrive as it happens.
		c.ready = true
	}
	if !c.ready && c.rev >= readyAt {
		c.ready = true
	}
	c.broadcast()
}

// push appends e to the ring, dropping the oldest event when full.
func (c *Cache) push(e *Event) {
	n := len(c.ring)
	if c.size == n {
		c.oldest = c.ring[c.head].Rev
		c.ring[c.head] = e
		c.head = (c.head + 1) % n
		return
	}
	c.ring[(c.head+c.size)%n] = e
	c.size++
}

// sendBookmarks offers every watcher that asked for bookmarks the current revision.
func (c *Cache) sendBookmarks() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready {
		return
	}
	bm := c.bookmark(false)
	for w := range c.watchers {
		if w.bookmarks {
			w.offerBookmark(bm)
		}
	}
}

func (c *Cache) bookmark(initialEnd bool) *Event {
	obj := c.cfg.New()
	m := scheme.Meta(obj)
	m.ResourceVersion = fmt.Sprint(c.rev)
	if initialEnd {
		m.Annotations = map[string]string{InitialEventsEndAnnotation: "true"}
	}
	return &Event{Type: Bookmark, Object: obj, Rev: c.rev}
}

// waitFresh waits until the cache is loaded and reflects revision rev (0: any), up to timeout.
// It returns with c.mu held for reading. A ctx whose deadline comes before timeout (a watch's
// timeoutSeconds, the request deadline) ends the wait with the same error as timeout does, so the
// answer does not depend on which of the two ran out first; a cancelled ctx returns ctx.Err().
func (c *Cache) waitFresh(ctx context.Context, rev int64, timeout time.Duration) error {
	// Nearly always the cache is already there: answer without arming any timer.
	c.mu.RLock()
	if c.ready && c.rev >= rev {
		return nil
	}
	c.mu.RUnlock()
	deadline := c.cfg.Clock.NewTimer(timeout)
	defer deadline.Stop()
	// A request for progress can be lost (etcd answers only once the watch has caught up), so
	// ask again every so often while waiting.
	nudge := c.cfg.Clock.NewTicker(100 * time.Millisecond)
	defer nudge.Stop()
	for {
		c.mu.RLock()
		if c.ready && c.rev >= rev {
			return nil
		}
		ch := c.changed
		behind := c.ready && rev > 0
		c.mu.RUnlock()
		if behind {
			c.requestProgress()
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return c.notFresh(rev)
			}
			return ctx.Err()
		case <-nudge.C():
		case <-deadline.C():
			return c.notFresh(rev)
		case <-ch:
		}
	}
}

// notFresh is the error of a wait for revision rev that ran out: Timeout (504) for a revision the
// cache has not reached, ServiceUnavailable while it is still loading.
func (c *Cache) notFresh(rev int64) error {
	if rev > 0 {
		return apierrors.NewTimeout(fmt.Sprintf("Too large resource version: %d, current: %d", rev, c.Revision()), 1)
	}
	return apierrors.NewServiceUnavailable(fmt.Sprintf("the watch cache of %s is not ready", c.cfg.Resource))
}

// requestProgress asks Run for a progress notification without blocking; one pending request is
// enough.
func (c *Cache) requestProgress() {
	select {
	case c.wantProgress <- struct{}{}:
	default:
	}
}

// Revision returns the revision the cache reflects.
func (c *Cache) Revision() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rev
}

// Get returns the cached object at key.
func (c *Cache) Get(ctx context.Context, key string) (scheme.Object, bool, error) {
	return c.GetFresh(ctx, key, 0)
}

// GetFresh returns the cached object at key once the cache reflects revision rev (0: any), so that
// a caller that knows of a write at rev never reads the state from before it. It fails with Timeout
// when the cache does not reach rev within the freshness timeout.
func (c *Cache) GetFresh(ctx context.Context, key string, rev int64) (scheme.Object, bool, error) {
	if err := c.waitFresh(ctx, rev, c.cfg.FreshnessTimeout); err != nil {
		return nil, false, err
	}
	defer c.mu.RUnlock()
	it, ok := c.items[key]
	if !ok {
		return nil, false, nil
	}
	return it.obj, true, nil
}

// List returns the cached objects under prefix that p selects, in key order, and the revision they
// reflect.
func (c *Cache) List(ctx context.Context, prefix string, p Predicate) ([]scheme.Object, int64, error) {
	if err := c.waitFresh(ctx, 0, c.cfg.FreshnessTimeout); err != nil {
		return nil, 0, err
	}
	defer c.mu.RUnlock()
	keys := make([]string, 0, len(c.items))
	for k, it := range c.items {
		if strings.HasPrefix(k, prefix) && p.Matches(it.attrs.labels, it.attrs.fields) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]scheme.Object, len(keys))
	for i, k := range keys {
		out[i] = c.items[k].obj
	}
	return out, c.rev, nil
}

// WatchOptions says where a watch starts and what it sees.
type WatchOptions struct {
	// Prefix narrows the watch to keys under it (a namespace), "" for the whole resource.
	Prefix    string
	Predicate Predicate
	// Revision 0 starts at the current state with an ADDED event per selected object; any other
	// value delivers every change after it.
	Revision int64
	// SendInitialEvents sends the current state as ADDED events, then a BOOKMARK annotated
	// InitialEventsEndAnnotation, whatever Revision says.
	SendInitialEvents bool
	// Bookmarks asks for periodic BOOKMARK events.
	Bookmarks bool
}

// Watch starts a watch. It fails with Gone when opts.Revision is older than the cache's history and
// with Timeout when it is newer than the cache reaches within the freshness timeout.
func (c *Cache) Watch(ctx context.Context, opts WatchOptions) (*Watcher, error) {
	if opts.Predicate == nil {
		opts.Predicate = Everything{}
	}
	if err := c.waitFresh(ctx, opts.Revision, c.cfg.FreshnessTimeout); err != nil {
		return nil, err
	}
	// waitFresh returns holding the read lock; registering needs the write lock, and between the
	// two the state may advance, which only means more events to replay.
	c.mu.RUnlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ready {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("the watch cache of %s is not ready", c.cfg.Resource))
	}
	if opts.Revision > 0 && opts.Revision < c.oldest && !opts.SendInitialEvents {
		return nil, apierrors.NewExpired("too old resource version: %d (%d)", opts.Revision, c.oldest)
	}
	var backlog []*Event
	if opts.Revision == 0 || opts.SendInitialEvents {
		keys := make([]string, 0, len(c.items))
		for k := range c.items {
			if strings.HasPrefix(k, opts.Prefix) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			it := c.items[k]
			if opts.Predicate.Matches(it.attrs.labels, it.attrs.fields) {
				backlog = append(backlog, &Event{Type: Added, Key: k, Object: it.obj, Rev: c.rev, attrs: it.attrs})
			}
		}
		if opts.SendInitialEvents {
			backlog = append(backlog, c.bookmark(true))
		}
	} else {
		for i := 0; i < c.size; i++ {
			e := c.ring[(c.head+i)%len(c.ring)]
			if e.Rev <= opts.Revision || !strings.HasPrefix(e.Key, opts.Prefix) {
				continue
			}
			if f := e.filter(opts.Predicate); f != nil {
				backlog = append(backlog, f)
			}
		}
	}
	w := newWatcher(c, opts, len(backlog)+c.cfg.WatcherBuffer)
	for _, e := range backlog {
		w.ch <- e
	}
	c.watchers[w] = struct{}{}
	return w, nil
}

// WatcherCount returns how many watchers the cache serves.
func (c *Cache) WatcherCount() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.watchers)
}

func (c *Cache) remove(w *Watcher) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.watchers[w]; ok {
		delete(c.watchers, w)
		w.end(nil)
	}
}

// WaitReady waits until the cache has loaded its resource, or ctx ends.
func (c *Cache) WaitReady(ctx context.Context) error {
	for {
		c.mu.RLock()
		ready, ch := c.ready, c.changed
		c.mu.RUnlock()
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
