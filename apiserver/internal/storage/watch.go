package storage

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/storage/mvcc"
)

// WatchBatch is one step of a watch: the changes of one or more revisions, in order; a notice that
// the watch is registered (Created) or that the store has reached Revision with nothing more to
// deliver (a progress notice); or the end of the watch (Err).
type WatchBatch struct {
	Events []*mvccpb.Event
	// Revision is the store revision the batch reflects.
	Revision int64
	// Created says the watch is registered: every later change will be delivered.
	Created bool
	// Err ends the watch; it wraps ErrCompacted when the start revision is gone.
	Err error
}

// IsProgress reports whether the batch only says the watch has delivered everything up to Revision.
func (b WatchBatch) IsProgress() bool {
	return len(b.Events) == 0 && !b.Created && b.Err == nil && b.Revision != 0
}

// Watch is a stream of the changes under one prefix.
type Watch struct {
	// C delivers the batches in order. It is closed when the watch ends: after a batch with Err, or
	// once the watch's context is done.
	C        <-chan WatchBatch
	progress chan struct{}
}

// RequestProgress asks the watch for a progress notice once it has delivered every change up to
// the store's current revision. Requests made while one is pending are merged.
func (w *Watch) RequestProgress() {
	select {
	case w.progress <- struct{}{}:
	default:
	}
}

// Watch streams every change to the keys under prefix from revision rev on, until ctx ends.
//
// Between etcd and the caller the changes queue without bound, and the queue is drained as soon
// as etcd hands over a change. That matters: etcd gives each watch stream a buffer of 128
// responses, one per write, and a watch whose buffer overflows falls into a catch-up mode that
// delivers at most 1,000 revisions per 100ms until it is level again, which under a steady write
// load above that rate it never is. With an embedded member (see Options.Local) the watch reads
// the member's store directly, so a single goroutine stands between etcd and the queue; an
// external cluster's watch arrives over gRPC, whose client queues the same way.
func (s *Store) Watch(ctx context.Context, prefix string, rev int64) *Watch {
	if s.local != nil {
		return watchLocal(ctx, s.local, prefix, rev)
	}
	ctx = clientv3.WithRequireLeader(ctx)
	in := s.client.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev),
		clientv3.WithProgressNotify(), clientv3.WithCreatedNotify())
	return pump(ctx, nil, in, fromClient, func() { _ = s.client.RequestProgress(ctx) }, nil)
}

// fromClient converts a response of the etcd client's watch.
func fromClient(resp clientv3.WatchResponse) WatchBatch {
	if err := resp.Err(); err != nil {
		return WatchBatch{Err: mapErr(err)}
	}
	b := WatchBatch{Revision: resp.Header.Revision, Created: resp.Created, Events: make([]*mvccpb.Event, len(resp.Events))}
	for i, ev := range resp.Events {
		b.Events[i] = (*mvccpb.Event)(ev)
	}
	return b
}

// watchLocal watches the store of an etcd member running in this process.
func watchLocal(ctx context.Context, kv mvcc.WatchableKV, prefix string, rev int64) *Watch {
	ws := kv.NewWatchStream()
	id, err := ws.Watch(clientv3.AutoWatchID, []byte(prefix), []byte(clientv3.GetPrefixRangeEnd(prefix)), rev)
	if err != nil {
		ws.Close()
		return pump(ctx, nil, nil, fromLocal, nil, []WatchBatch{{Err: fmt.Errorf("watch %s: %w", prefix, err)}})
	}
	// Registration is synchronous: from here on every change reaches the stream.
	created := WatchBatch{Created: true, Revision: ws.Rev()}
	return pump(ctx, ws.Close, ws.Chan(), fromLocal, func() { ws.RequestProgress(id) }, []WatchBatch{created})
}

// fromLocal converts a response of an in-process member's watch stream.
func fromLocal(resp mvcc.WatchResponse) WatchBatch {
	if resp.CompactRevision != 0 {
		return WatchBatch{Err: fmt.Errorf("%w: history before revision %d is gone", ErrCompacted, resp.CompactRevision)}
	}
	b := WatchBatch{Revision: resp.Revision, Events: make([]*mvccpb.Event, len(resp.Events))}
	for i := range resp.Events {
		b.Events[i] = &resp.Events[i]
	}
	return b
}

// errWatchClosed ends a watch whose source closed while its context was still live.
var errWatchClosed = errors.New("etcd closed the watch")

// pump moves responses from in to the returned watch, converting each and queueing them without
// bound, and serves progress requests with request. It starts by delivering first. It stops when
// ctx ends or after delivering a batch with Err, and then calls stop (if set) and closes the watch.
func pump[T any](ctx context.Context, stop func(), in <-chan T, conv func(T) WatchBatch, request func(), first []WatchBatch) *Watch {
	out := make(chan WatchBatch)
	w := &Watch{C: out, progress: make(chan struct{}, 1)}
	go func() {
		defer close(out)
		if stop != nil {
			defer stop()
		}
		queue := first
		ended := len(first) > 0 && first[len(first)-1].Err != nil
		enqueue := func(resp T) {
			b := conv(resp)
			queue = append(queue, b)
			ended = b.Err != nil
		}
		for {
			var next WatchBatch
			var send chan<- WatchBatch
			if len(queue) > 0 {
				next, send = queue[0], out
			} else if ended {
				return
			}
			src := in
			if ended {
				src = nil
			}
			select {
			case <-ctx.Done():
				return
			case send <- next:
				queue[0] = WatchBatch{}
				queue = queue[1:]
			case resp, ok := <-src:
				if !ok {
					queue = append(queue, WatchBatch{Err: errWatchClosed})
					ended = true
					continue
				}
				enqueue(resp)
				// Take whatever else is ready before waiting on the reader, so etcd's buffer is
				// emptied in one go.
				for !ended && len(src) > 0 {
					enqueue(<-src)
				}
			case <-w.progress:
				if request != nil {
					request()
				}
			}
		}
	}()
	return w
}
