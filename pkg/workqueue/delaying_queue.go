package workqueue

import (
	"sync"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// DelayingInterface is an Interface that can also add an item after a delay.
type DelayingInterface[T comparable] interface {
	Interface[T]
	// AddAfter adds item once d has elapsed on the queue's clock; d <= 0 adds it at once. An item
	// already waiting keeps the earlier of its two ready times.
	AddAfter(item T, d time.Duration)
}

// DelayingQueue is a Queue with AddAfter. Waiting items are kept in a heap by ready time; one
// clock.AfterFunc timer, armed for the earliest, moves ready items into the queue, so the queue
// starts no goroutine of its own. Create it with NewDelaying.
type DelayingQueue[T comparable] struct {
	*Queue[T]
	clock clock.Clock

	mu      sync.Mutex
	waiting waitingHeap[T]
	known   map[T]*waitingEntry[T]
	seq     uint64
	timer   clock.Timer
	stopped bool
}

var _ DelayingInterface[string] = (*DelayingQueue[string])(nil)

// NewDelaying returns an empty DelayingQueue timed by the clock given WithClock.
func NewDelaying[T comparable](opts ...Option) *DelayingQueue[T] {
	o := buildOptions(opts)
	return &DelayingQueue[T]{Queue: New[T](), clock: o.clock, known: map[T]*waitingEntry[T]{}}
}

// AddAfter adds item once d has elapsed.
func (q *DelayingQueue[T]) AddAfter(item T, d time.Duration) {
	if q.ShuttingDown() {
		return
	}
	if d <= 0 {
		q.Add(item)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	now := q.clock.Now()
	readyAt := now.Add(d)
	if e, ok := q.known[item]; ok {
		if readyAt.Before(e.readyAt) {
			q.waiting.moveEarlier(e, readyAt)
			q.armLocked(now)
		}
		return
	}
	q.seq++
	e := &waitingEntry[T]{item: item, readyAt: readyAt, seq: q.seq}
	q.waiting.push(e)
	q.known[item] = e
	q.armLocked(now)
}

// ShutDown stops the delay timer, drops waiting items and shuts the queue down.
func (q *DelayingQueue[T]) ShutDown() {
	q.stop()
	q.Queue.ShutDown()
}

// ShutDownWithDrain stops the delay timer, drops waiting items, shuts the queue down and waits for
// the items handed out to be Done.
func (q *DelayingQueue[T]) ShutDownWithDrain() {
	q.stop()
	q.Queue.ShutDownWithDrain()
}

func (q *DelayingQueue[T]) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	if q.timer != nil {
		q.timer.Stop()
	}
	q.waiting = nil
	clear(q.known)
}

// fire moves every ready item into the queue and re-arms the timer for the next one. It runs on the
// clock's AfterFunc and may run spuriously; it then finds nothing ready and re-arms.
func (q *DelayingQueue[T]) fire() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	now := q.clock.Now()
	for q.waiting.Len() > 0 && !q.waiting.peek().readyAt.After(now) {
		e := q.waiting.pop()
		delete(q.known, e.item)
		q.Queue.Add(e.item)
	}
	q.armLocked(now)
}

// armLocked points the timer at the earliest waiting item, measured from now.
func (q *DelayingQueue[T]) armLocked(now time.Time) {
	if q.waiting.Len() == 0 {
		if q.timer != nil {
			q.timer.Stop()
		}
		return
	}
	d := q.waiting.peek().readyAt.Sub(now)
	if q.timer == nil {
		q.timer = q.clock.AfterFunc(d, q.fire)
		return
	}
	q.timer.Reset(d)
}
