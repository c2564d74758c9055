package client

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// EventType is the type of a watch event.
type EventType string

// The watch event types.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	Bookmark EventType = "BOOKMARK"
)

// Event is one change seen by a watch. A Bookmark's Object carries only metadata.resourceVersion
// (and, at the end of initial events, the k8s.io/initial-events-end annotation).
type Event[T scheme.Object] struct {
	Type   EventType
	Object T
}

// Watcher delivers a watch's events. Read Events until it is closed; Err then says why the watch
// ended: nil after Stop or when the server ended the stream (resume from the last resourceVersion
// seen), a Gone error when that version is too old (relist), or another error.
type Watcher[T scheme.Object] struct {
	events chan Event[T]
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

// Events delivers events in order; it is closed when the watch ends.
func (w *Watcher[T]) Events() <-chan Event[T] { return w.events }

// Stop ends the watch and waits for its goroutine to finish.
func (w *Watcher[T]) Stop() {
	w.cancel()
	<-w.done
}

// Err says why the watch ended; call it after Events is closed.
func (w *Watcher[T]) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Watch starts a watch. It returns once the server has accepted it, so a bad selector or an expired
// resourceVersion (Gone) fails here; later failures end the Events channel.
func (r *Resource[T]) Watch(ctx context.Context, opts ListOptions) (*Watcher[T], error) {
	wctx, cancel := context.WithCancel(ctx)
	req := &resourcev1.WatchRequest{
		Resource: r.gvr, Namespace: r.namespace,
		LabelSelector: opts.LabelSelector, FieldSelector: opts.FieldSelector,
		ResourceVersion: opts.ResourceVersion, AllowBookmarks: opts.AllowBookmarks,
		SendInitialEvents: opts.SendInitialEvents, TimeoutSeconds: opts.TimeoutSeconds,
	}
	var stream resourcev1.ResourceService_WatchClient
	err := r.c.retry(ctx, always, func(int) (err error) {
		stream, err = r.c.rpc.Watch(wctx, req, waitForReady)
		if err != nil {
			return err
		}
		// The server sends headers once the watch is registered; an error comes instead.
		md, err := stream.Header()
		if err == nil && md == nil {
			err = stream.RecvMsg(&resourcev1.WatchEvent{})
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
		}
		return err
	})
	if err != nil {
		cancel()
		return nil, err
	}
	w := &Watcher[T]{events: make(chan Event[T]), cancel: cancel, done: make(chan struct{})}
	go w.run(wctx, r, stream)
	return w, nil
}

func (w *Watcher[T]) run(ctx context.Context, r *Resource[T], stream resourcev1.ResourceService_WatchClient) {
	defer close(w.done)
	defer close(w.events)
	defer w.cancel()
	for {
		ev, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				err = nil
			}
			w.mu.Lock()
			w.err = apierrors.FromGRPC(err)
			w.mu.Unlock()
			return
		}
		obj, err := r.unpack(ev.GetObject())
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		select {
		case w.events <- Event[T]{Type: EventType(ev.GetType()), Object: obj}:
		case <-ctx.Done():
			return
		}
	}
}
