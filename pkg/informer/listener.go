package informer

import (
	"context"
	"sync"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// Handler receives an informer's notifications. Nil funcs are skipped. Calls to one handler are
// sequential and in order; a slow handler delays only itself.
type Handler[T scheme.Object] struct {
	OnAdd    func(obj T)
	OnUpdate func(old, cur T)
	// OnDelete gets the last state the informer knew.
	OnDelete func(obj T)
}

type notificationKind int

const (
	addNotification notificationKind = iota
	updateNotification
	deleteNotification
	// syncedNotification follows the first list's notifications; synced is called when the
	// handler has had them all.
	syncedNotification
)

type notification[T scheme.Object] struct {
	kind     notificationKind
	old, cur T
	synced   func()
}

// listener queues notifications for one handler without bound, so the informer never waits on it.
type listener[T scheme.Object] struct {
	h       Handler[T]
	mu      sync.Mutex
	pending []notification[T]
	wake    chan struct{}
}

func newListener[T scheme.Object](h Handler[T]) *listener[T] {
	return &listener[T]{h: h, wake: make(chan struct{}, 1)}
}

func (l *listener[T]) add(n notification[T]) {
	l.mu.Lock()
	l.pending = append(l.pending, n)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run delivers notifications until ctx ends.
func (l *listener[T]) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			batch := l.pending
			l.pending = nil
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, n := range batch {
				if ctx.Err() != nil {
					return
				}
				l.deliver(n)
			}
		}
	}
}

func (l *listener[T]) deliver(n notification[T]) {
	switch n.kind {
	case addNotification:
		if l.h.OnAdd != nil {
			l.h.OnAdd(n.cur)
		}
	case updateNotification:
		if l.h.OnUpdate != nil {
			l.h.OnUpdate(n.old, n.cur)
		}
	case deleteNotification:
		if l.h.OnDelete != nil {
			l.h.OnDelete(n.old)
		}
	case syncedNotification:
		n.synced()
	}
}
