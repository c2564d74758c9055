// Package boundedcache is a map of at most a fixed number of entries, safe for concurrent use,
// for caches whose entries are all alike in worth: when full, a new key takes the place of an
// arbitrary entry (the first of Go's randomised map order), which costs no bookkeeping on a hit,
// unlike a least-recently-used list. It suits caches of results that are cheap to recompute but
// asked for again and again, such as verified certificate chains and authorization decisions.
package boundedcache

import "sync"

// Cache maps keys to values and holds at most its size. Its zero value is not usable: make one
// with New. It is safe for concurrent use; values are stored and returned as they are, so a
// value that the caller may change afterwards must be copied first.
type Cache[K comparable, V any] struct {
	size int
	mu   sync.RWMutex
	m    map[K]V
}

// New returns an empty cache of at most size entries; a size of 0 or less holds nothing.
func New[K comparable, V any](size int) *Cache[K, V] {
	return &Cache[K, V]{size: size, m: make(map[K]V)}
}

// Get returns the value held for k, and whether there is one.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

// Put holds v for k, replacing the value held for k if any; when the cache is full and holds no
// value for k, an arbitrary entry is dropped to make room.
func (c *Cache[K, V]) Put(k K, v V) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.size {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
}

// Len returns how many entries the cache holds, never more than its size.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
