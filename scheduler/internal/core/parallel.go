package core

import (
	"math"
	"sync"
	"sync/atomic"
)

// serialBelow is the piece count under which work runs on the calling goroutine: starting
// goroutines costs more than it saves on a few nodes.
const serialBelow = 32

// parallelAbove is the number of nodes a filtering or scoring pass must look at before it is
// spread over goroutines. Checking a node costs well under a microsecond, so below this the
// hand-offs and the merging cost more than a second core saves: on the 2-core machine this
// project is measured on, one goroutine decides a 500-node pass in 15µs against 22µs for two,
// and the adaptive pass over 5,000 nodes in 35µs against 45µs.
const parallelAbove = 1000

// workersFor returns how many goroutines a pass over n nodes should use.
func workersFor(parallelism, n int) int {
	if n < parallelAbove {
		return 1
	}
	return parallelism
}

// parallelize calls fn(i) for every i in [0, n) on up to workers goroutines, handing out chunks of
// indices, and returns once every call has returned. stop, when it returns true, makes workers
// take no further indices.
func parallelize(workers, n int, stop func() bool, fn func(i int)) {
	if n <= 0 {
		return
	}
	if workers <= 1 || n < serialBelow {
		for i := 0; i < n; i++ {
			if stop != nil && stop() {
				return
			}
			fn(i)
		}
		return
	}
	chunk := chunkSize(n, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, (n+chunk-1)/chunk); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(int64(chunk))) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					if stop != nil && stop() {
						return
					}
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// parallelizeChunks calls fn(lo, hi) for consecutive chunks of at most chunk indices covering
// [0, n), on up to workers goroutines, and returns once every call has returned. stop, checked
// before each chunk, makes workers take no further chunks.
func parallelizeChunks(workers, n, chunk int, stop func() bool, fn func(lo, hi int)) {
	chunks := (n + chunk - 1) / chunk
	if workers <= 1 || n < serialBelow {
		workers = 1
	}
	var next atomic.Int64
	work := func() {
		for {
			if stop != nil && stop() {
				return
			}
			c := int(next.Add(1)) - 1
			if c >= chunks {
				return
			}
			fn(c*chunk, min((c+1)*chunk, n))
		}
	}
	if workers == 1 {
		work()
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < min(workers, chunks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
}

// chunkSize balances handing out work (small chunks) against contention on the index (large
// ones): about the square root of n, and at most an even share per worker.
func chunkSize(n, workers int) int {
	s := int(math.Sqrt(float64(n)))
	if per := n/workers + 1; s > per {
		s = per
	}
	return max(s, 1)
}
