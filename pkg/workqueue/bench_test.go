package workqueue

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func BenchmarkQueueAddGetDone(b *testing.B) {
	tests := []struct {
		name string
		keys int
	}{
		{name: "distinct keys", keys: 1 << 16},
		{name: "one key", keys: 1},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			keys := make([]string, tc.keys)
			for i := range keys {
				keys[i] = strconv.Itoa(i)
			}
			q := New[string]()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q.Add(keys[i%len(keys)])
				item, _ := q.Get()
				q.Done(item)
				i++
			}
		})
	}
}

func BenchmarkQueueParallel(b *testing.B) {
	q := New[int]()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q.Add(int(next.Add(1) % 4096))
			item, _ := q.Get()
			q.Done(item)
		}
	})
}

func BenchmarkRateLimitingQueueAddRateLimited(b *testing.B) {
	q := NewRateLimiting(DefaultControllerRateLimiter[int]())
	defer q.ShutDown()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		q.AddRateLimited(i % 1024)
		q.Forget(i % 1024)
		i++
	}
}
