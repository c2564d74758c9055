package workqueue

import (
	"container/heap"
	"time"
)

// waitingEntry is an item waiting in a DelayingQueue until readyAt.
type waitingEntry[T comparable] struct {
	item    T
	readyAt time.Time
	seq     uint64 // insertion order, so items ready at the same time keep FIFO order
	index   int    // position in the heap
}

// waitingHeap orders entries by ready time; it implements heap.Interface. Use it through the
// push, peek, pop and update helpers.
type waitingHeap[T comparable] []*waitingEntry[T]

func (h waitingHeap[T]) Len() int { return len(h) }

func (h waitingHeap[T]) Less(i, j int) bool {
	if c := h[i].readyAt.Compare(h[j].readyAt); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}

func (h waitingHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *waitingHeap[T]) Push(x any) {
	e := x.(*waitingEntry[T])
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *waitingHeap[T]) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

func (h *waitingHeap[T]) push(e *waitingEntry[T]) { heap.Push(h, e) }

func (h *waitingHeap[T]) pop() *waitingEntry[T] { return heap.Pop(h).(*waitingEntry[T]) }

func (h waitingHeap[T]) peek() *waitingEntry[T] { return h[0] }

// moveEarlier sets e's ready time to readyAt and restores heap order.
func (h *waitingHeap[T]) moveEarlier(e *waitingEntry[T], readyAt time.Time) {
	e.readyAt = readyAt
	heap.Fix(h, e.index)
}
