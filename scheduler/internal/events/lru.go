package events

import (
	"container/list"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// lru remembers the most recently written events by aggregation key. Only Run's goroutine uses
// it.
type lru struct {
	size  int
	order *list.List // of *lruEntry, most recent first
	items map[string]*list.Element
}

type lruEntry struct {
	key string
	ev  *corev1.Event
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: map[string]*list.Element{}}
}

func (l *lru) get(key string) (*corev1.Event, bool) {
	e, ok := l.items[key]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry).ev, true
}

func (l *lru) put(key string, ev *corev1.Event) {
	if e, ok := l.items[key]; ok {
		e.Value.(*lruEntry).ev = ev
		l.order.MoveToFront(e)
		return
	}
	l.items[key] = l.order.PushFront(&lruEntry{key: key, ev: ev})
	if l.order.Len() > l.size {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.items, last.Value.(*lruEntry).key)
	}
}
