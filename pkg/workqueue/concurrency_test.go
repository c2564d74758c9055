package workqueue

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tracker checks what a worker pool does with a queue: no key is processed by two workers at once,
// and every key's last processing started after its last add.
type tracker struct {
	mu       sync.Mutex
	inFlight map[string]bool
	added    map[string]int // adds issued per key
	seen     map[string]int // adds issued when the key's latest processing started
	overlaps []string
	stopped  bool // producers have finished
	complete chan struct{}
}

func newTracker() *tracker {
	return &tracker{inFlight: map[string]bool{}, added: map[string]int{}, seen: map[string]int{}, complete: make(chan struct{})}
}

// willAdd counts an add; call it before adding to the queue.
func (tr *tracker) willAdd(key string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.added[key]++
}

func (tr *tracker) start(key string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.inFlight[key] {
		tr.overlaps = append(tr.overlaps, key)
	}
	tr.inFlight[key] = true
	tr.seen[key] = tr.added[key]
}

func (tr *tracker) finish(key string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.inFlight[key] = false
	tr.checkLocked()
}

func (tr *tracker) producersDone() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.stopped = true
	tr.checkLocked()
}

// checkLocked closes complete once producers are done and every add has been processed.
func (tr *tracker) checkLocked() {
	if !tr.stopped {
		return
	}
	select {
	case <-tr.complete:
		return
	default:
	}
	for k, n := range tr.added {
		if tr.seen[k] != n || tr.inFlight[k] {
			return
		}
	}
	close(tr.complete)
}

func runWorkers(q Interface[string], tr *tracker, workers int) *sync.WaitGroup {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				key, shutdown := q.Get()
				if shutdown {
					return
				}
				tr.start(key)
				tr.finish(key)
				q.Done(key)
			}
		})
	}
	return &wg
}

func TestConcurrentProducersAndWorkers(t *testing.T) {
	tests := []struct {
		name      string
		producers int
		adds      int
		keys      int
		workers   int
		// delayed makes producers use AddAfter with up to this delay on the real clock.
		delayed time.Duration
	}{
		{name: "many producers few keys", producers: 8, adds: 2000, keys: 10, workers: 4},
		{name: "many keys", producers: 4, adds: 2000, keys: 500, workers: 3},
		{name: "one worker", producers: 4, adds: 500, keys: 20, workers: 1},
		{name: "delayed adds", producers: 4, adds: 300, keys: 20, workers: 4, delayed: time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := NewDelaying[string]()
			tr := newTracker()
			workers := runWorkers(q, tr, tc.workers)

			var producers sync.WaitGroup
			for p := range tc.producers {
				producers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(p), 1))
					for range tc.adds {
						key := fmt.Sprintf("key-%d", rng.IntN(tc.keys))
						tr.willAdd(key)
						if tc.delayed > 0 {
							q.AddAfter(key, time.Duration(rng.Int64N(int64(tc.delayed))))
						} else {
							q.Add(key)
						}
					}
				})
			}
			producers.Wait()
			tr.producersDone()

			select {
			case <-tr.complete:
			case <-time.After(30 * time.Second):
				t.Fatal("not every add was processed within 30s")
			}
			q.ShutDownWithDrain()
			workers.Wait()
			require.Empty(t, tr.overlaps, "keys processed by two workers at once")
			require.Zero(t, q.Len())
		})
	}
}
