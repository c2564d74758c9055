package clienttest

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// watcher queues the events one watch stream has yet to send, without bound, so that a write
// never waits for a reader.
type watcher struct {
	filter filter
	wake   chan struct{}
	ended  chan struct{} // closed by EndWatches

	mu      sync.Mutex
	pending []event
}

func (w *watcher) selects(ev event) bool {
	return ev.gvr == w.filter.gvr && w.filter.matches(ev.obj)
}

func (w *watcher) push(evs ...event) {
	w.mu.Lock()
	w.pending = append(w.pending, evs...)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next waits for events; false once ctx ends or the server ends the watch.
func (w *watcher) next(ctx context.Context) ([]event, bool) {
	for {
		w.mu.Lock()
		evs := w.pending
		w.pending = nil
		w.mu.Unlock()
		if len(evs) > 0 {
			return evs, true
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-w.ended:
			return nil, false
		case <-w.wake:
		}
	}
}

// addWatcher registers a watcher and queues what it must see first: the current state as ADDED
// events when rv is "" or "0", else the recorded changes after rv (Gone if they were compacted).
func (s *Server) addWatcher(f filter, rv string) (*watcher, error) {
	w := &watcher{filter: f, wake: make(chan struct{}, 1), ended: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	var first []event
	if rv == "" || rv == "0" {
		for _, obj := range s.objects[f.gvr] {
			if f.matches(obj) {
				first = append(first, event{gvr: f.gvr, typ: client.Added, obj: obj})
			}
		}
		sort.Slice(first, func(i, j int) bool { return scheme.Key(first[i].obj) < scheme.Key(first[j].obj) })
	} else {
		from, err := strconv.ParseInt(rv, 10, 64)
		if err != nil {
			return nil, apierrors.NewBadRequest("invalid resourceVersion %q", rv)
		}
		if from < s.compacted {
			return nil, apierrors.NewExpired("too old resource version: %d (%d)", from, s.compacted)
		}
		for _, ev := range s.history {
			if ev.rev > from && w.selects(ev) {
				first = append(first, ev)
			}
		}
	}
	w.push(first...)
	s.watchers[w] = struct{}{}
	return w, nil
}

func (s *Server) removeWatcher(w *watcher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.watchers, w) // a no-op after EndWatches
}

// EndWatches ends every open watch stream cleanly, as an apiserver does when its watch cache
// drops a watcher: clients resume from the last resourceVersion they saw (and relist if Compact
// made it Gone). Events already queued for a stream may be dropped with it, as then.
func (s *Server) EndWatches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watchers {
		close(w.ended)
		delete(s.watchers, w)
	}
}
