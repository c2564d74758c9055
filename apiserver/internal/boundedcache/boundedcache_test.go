package boundedcache

import (
	"fmt"
	"sync"
	"testing"
)

// TestGetPut checks that a value put is got back, a key never put is a miss, and putting a key
// again replaces its value without growing the cache.
func TestGetPut(t *testing.T) {
	c := New[string, int](4)
	if _, ok := c.Get("a"); ok {
		t.Fatal("Get of a key never put found a value")
	}
	c.Put("a", 1)
	c.Put("b", 2)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v; want 1, true", v, ok)
	}
	c.Put("a", 3)
	if v, ok := c.Get("a"); !ok || v != 3 {
		t.Fatalf("Get(a) after a second Put = %d, %v; want 3, true", v, ok)
	}
	if n := c.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
}

// TestEvictsAtTheBound puts more keys than the cache holds: it never holds more than its size,
// the key just put is always held, and a full cache given a key it holds keeps every entry.
func TestEvictsAtTheBound(t *testing.T) {
	tests := []struct {
		name string
		size int
		puts int
		want int
	}{
		{"one", 1, 5, 1},
		{"three", 3, 10, 3},
		{"fewer keys than the bound", 8, 3, 3},
		{"exactly the bound", 4, 4, 4},
		{"zero holds nothing", 0, 3, 0},
		{"negative holds nothing", -1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[int, string](tt.size)
			for i := range tt.puts {
				c.Put(i, fmt.Sprint(i))
				if n := c.Len(); n > max(tt.size, 0) {
					t.Fatalf("after put %d Len = %d, more than the size %d", i, n, tt.size)
				}
				if v, ok := c.Get(i); tt.size > 0 && (!ok || v != fmt.Sprint(i)) {
					t.Fatalf("Get(%d) right after its Put = %q, %v", i, v, ok)
				}
			}
			if n := c.Len(); n != tt.want {
				t.Fatalf("Len = %d, want %d", n, tt.want)
			}
			held := 0
			for i := range tt.puts {
				if _, ok := c.Get(i); ok {
					held++
				}
			}
			if held != tt.want {
				t.Fatalf("%d of the keys put are held, want %d", held, tt.want)
			}
			if tt.size <= 0 || tt.puts < tt.size {
				return
			}
			// Full: a key it holds replaces its own value and drops nothing.
			last := tt.puts - 1
			c.Put(last, "again")
			if v, _ := c.Get(last); v != "again" || c.Len() != tt.want {
				t.Fatalf("after putting a held key again Get = %q, Len = %d; want \"again\", %d", v, c.Len(), tt.want)
			}
		})
	}
}

// TestConcurrentUse puts and gets from several goroutines at once (run it with -race): the bound
// holds throughout and every value got is the one put for its key.
func TestConcurrentUse(t *testing.T) {
	const size, workers, keys = 16, 8, 200
	c := New[int, int](size)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				k := (w*keys + i) % (2 * size * workers / 3)
				c.Put(k, k*k)
				if v, ok := c.Get(k); ok && v != k*k {
					errs <- fmt.Errorf("Get(%d) = %d, want %d", k, v, k*k)
					return
				}
				if n := c.Len(); n > size {
					errs <- fmt.Errorf("Len = %d, more than the size %d", n, size)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := c.Len(); n != size {
		t.Fatalf("Len = %d after more distinct keys than the size, want %d", n, size)
	}
}
