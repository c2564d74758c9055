package workqueue

import "sync"

// Interface is a deduplicating work queue of keys of type T.
type Interface[T comparable] interface {
	// Add marks item as needing processing. It is a no-op after shutdown.
	Add(item T)
	// Len returns the number of items waiting to be handed out (not those being processed).
	Len() int
	// Get blocks until an item is available and returns it; shutdown is true once the queue has been
	// shut down and has nothing more to hand out. The caller must call Done(item) when finished.
	Get() (item T, shutdown bool)
	// Done marks item as processed; if it was added again meanwhile it is queued again.
	Done(item T)
	// ShutDown makes Add a no-op and wakes every Get; Get still hands out items already queued.
	ShutDown()
	// ShutDownWithDrain is ShutDown that also waits until every item handed out has been marked
	// Done.
	ShutDownWithDrain()
	// ShuttingDown reports whether ShutDown or ShutDownWithDrain has been called.
	ShuttingDown() bool
}

// Queue is the deduplicating FIFO Interface. Its methods are safe for concurrent use; create it
// with New.
type Queue[T comparable] struct {
	mu   sync.Mutex
	cond *sync.Cond
	// queue holds the items to hand out, in order; every item in it is also in dirty.
	queue []T
	// dirty holds every item that needs processing, whether queued or being processed.
	dirty map[T]struct{}
	// processing holds the items handed out and not yet Done; an item in processing and dirty is
	// queued again by Done.
	processing   map[T]struct{}
	shuttingDown bool
	drain        bool
}

var _ Interface[string] = (*Queue[string])(nil)

// New returns an empty Queue. It accepts Options for symmetry with the other constructors; a plain
// Queue uses none of them.
func New[T comparable](_ ...Option) *Queue[T] {
	q := &Queue[T]{dirty: map[T]struct{}{}, processing: map[T]struct{}{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add marks item as needing processing.
func (q *Queue[T]) Add(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shuttingDown {
		return
	}
	if _, ok := q.dirty[item]; ok {
		return
	}
	q.dirty[item] = struct{}{}
	if _, ok := q.processing[item]; ok {
		return
	}
	q.queue = append(q.queue, item)
	q.cond.Signal()
}

// Len returns the number of items waiting to be handed out.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue)
}

// Get blocks until an item can be handed out or the queue is shut down and empty.
func (q *Queue[T]) Get() (item T, shutdown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.queue) == 0 && !q.shuttingDown {
		q.cond.Wait()
	}
	if len(q.queue) == 0 {
		return item, true
	}
	item = q.queue[0]
	var zero T
	q.queue[0] = zero // let the backing array drop the reference
	q.queue = q.queue[1:]
	q.processing[item] = struct{}{}
	delete(q.dirty, item)
	return item, false
}

// Done marks item as processed and queues it again if it was added while being processed.
func (q *Queue[T]) Done(item T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, item)
	if _, ok := q.dirty[item]; ok {
		q.queue = append(q.queue, item)
		q.cond.Signal()
	} else if len(q.processing) == 0 {
		// Wakes ShutDownWithDrain.
		q.cond.Broadcast()
	}
}

// ShutDown makes Add a no-op and wakes every waiting Get.
func (q *Queue[T]) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drain = false
	q.shuttingDown = true
	q.cond.Broadcast()
}

// ShutDownWithDrain shuts the queue down and waits until every item handed out is Done. Workers must
// keep calling Get and Done for it to return; a concurrent ShutDown cancels the wait.
func (q *Queue[T]) ShutDownWithDrain() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.drain = true
	q.shuttingDown = true
	q.cond.Broadcast()
	for len(q.processing) != 0 && q.drain {
		q.cond.Wait()
	}
}

// ShuttingDown reports whether the queue is shutting down.
func (q *Queue[T]) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shuttingDown
}
