package queue

import "container/heap"

// podHeap is a heap of pods that can also find, update and remove a pod by key.
type podHeap struct {
	items []*QueuedPodInfo
	keys  map[string]*QueuedPodInfo
	less  func(a, b *QueuedPodInfo) bool
}

func newPodHeap(less func(a, b *QueuedPodInfo) bool) *podHeap {
	return &podHeap{keys: map[string]*QueuedPodInfo{}, less: less}
}

// heap.Interface, on items.
func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *podHeap) Push(x any) {
	p := x.(*QueuedPodInfo)
	p.index = len(h.items)
	h.items = append(h.items, p)
}
func (h *podHeap) Pop() any {
	last := len(h.items) - 1
	p := h.items[last]
	h.items[last] = nil
	h.items = h.items[:last]
	return p
}

// get returns the pod with key.
func (h *podHeap) get(key string) (*QueuedPodInfo, bool) {
	p, ok := h.keys[key]
	return p, ok
}

// add inserts p, or replaces the pod with its key and restores the order.
func (h *podHeap) add(p *QueuedPodInfo) {
	if old, ok := h.keys[p.Key]; ok {
		p.index = old.index
		h.items[p.index] = p
		h.keys[p.Key] = p
		heap.Fix(h, p.index)
		return
	}
	h.keys[p.Key] = p
	heap.Push(h, p)
}

// remove deletes the pod with key and returns it.
func (h *podHeap) remove(key string) (*QueuedPodInfo, bool) {
	p, ok := h.keys[key]
	if !ok {
		return nil, false
	}
	delete(h.keys, key)
	heap.Remove(h, p.index)
	return p, true
}

// peek returns the first pod.
func (h *podHeap) peek() (*QueuedPodInfo, bool) {
	if len(h.items) == 0 {
		return nil, false
	}
	return h.items[0], true
}

// pop removes and returns the first pod.
func (h *podHeap) pop() (*QueuedPodInfo, bool) {
	if len(h.items) == 0 {
		return nil, false
	}
	p := heap.Pop(h).(*QueuedPodInfo)
	delete(h.keys, p.Key)
	return p, true
}
