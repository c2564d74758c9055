package watchcache

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// ErrTooSlow ends a watcher that fell further behind than its buffer allows.
var ErrTooSlow = errors.New("watcher fell behind and was cut off; resume from the last resourceVersion seen")

// Watcher is one client's watch. Read Events until it is closed, then Err says why it ended (nil
// after Stop). Stop must be called when the client goes away.
type Watcher struct {
	cache     *Cache
	prefix    string
	predicate Predicate
	bookmarks bool

	// ch and err are written only while cache.mu is held.
	ch   chan *Event
	once sync.Once
	mu   sync.Mutex
	err  error
}

func newWatcher(c *Cache, opts WatchOptions, buffer int) *Watcher {
	return &Watcher{
		cache:     c,
		prefix:    opts.Prefix,
		predicate: opts.Predicate,
		bookmarks: opts.Bookmarks,
		ch:        make(chan *Event, buffer),
	}
}

// Events delivers the watch's events in revision order. It is closed when the watch ends.
func (w *Watcher) Events() <-chan *Event { return w.ch }

// Err says why the watch ended: ErrTooSlow, a cache reset, or nil after Stop.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stop ends the watch and releases it.
func (w *Watcher) Stop() { w.cache.remove(w) }

// end closes the watcher; the caller holds cache.mu.
func (w *Watcher) end(err error) {
	w.once.Do(func() {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		close(w.ch)
	})
}

// offer hands e to the watcher if it selects it. When the buffer is full it waits for room out of
// the shared budget; once that is spent it ends the watcher and returns false. The caller holds
// cache.mu.
func (w *Watcher) offer(e *Event, b *budget) bool {
	if !strings.HasPrefix(e.Key, w.prefix) {
		return true
	}
	f := e.filter(w.predicate)
	if f == nil {
		return true
	}
	select {
	case w.ch <- f:
		return true
	default:
	}
	if b.wait(w.ch, f) {
		return true
	}
	w.end(ErrTooSlow)
	return false
}

// budget is the time one dispatch may spend, in total, waiting for full watcher buffers.
type budget struct {
	clock clock.Clock
	left  time.Duration
	timer clock.Timer
}

func newBudget(clk clock.Clock, d time.Duration) *budget { return &budget{clock: clk, left: d} }

// wait tries to send e on ch until the budget runs out, and reports whether it did.
func (b *budget) wait(ch chan<- *Event, e *Event) bool {
	if b.left <= 0 {
		return false
	}
	start := b.clock.Now()
	if b.timer == nil {
		b.timer = b.clock.NewTimer(b.left)
	} else {
		b.timer.Reset(b.left)
	}
	defer func() { b.left -= b.clock.Since(start) }()
	select {
	case ch <- e:
		// Stop discards a fire time not yet received, so a Reset starts afresh.
		b.timer.Stop()
		return true
	case <-b.timer.C():
		return false
	}
}

func (b *budget) stop() {
	if b.timer != nil {
		b.timer.Stop()
	}
}

// offerBookmark hands a bookmark to the watcher when there is room; a full buffer already holds
// newer news. The caller holds cache.mu.
func (w *Watcher) offerBookmark(e *Event) {
	select {
	case w.ch <- e:
	default:
	}
}
