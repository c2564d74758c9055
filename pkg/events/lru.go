package events

import (
	"container/list"
	"time"
)

// written is what the recorder remembers of an event it wrote, to bump its count on a repeat.
type written struct {
	namespace, name string
	count           int32
	last            time.Time
}

// lru remembers the most recently written events by aggregation key. Only Run's goroutine uses
// it.
type lru struct {
	size  int
	order *list.List // of *lruEntry, most recent first
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	w   written
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (l *lru) get(key string) (written, bool) {
	e, ok := l.items[key]
	if !ok {
		return written{}, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry).w, true
}

func (l *lru) put(key string, w written) {
	if e, ok := l.items[key]; ok {
		e.Value.(*lruEntry).w = w
		l.order.MoveToFront(e)
		return
	}
	l.items[key] = l.order.PushFront(&lruEntry{key: key, w: w})
	if l.order.Len() > l.size {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.items, last.Value.(*lruEntry).key)
	}
}
