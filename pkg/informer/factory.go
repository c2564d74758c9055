package informer

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// FactoryOptions shape every informer a Factory makes.
type FactoryOptions struct {
	// ResyncPeriod, when positive, replays every object to the handlers as an update that often.
	ResyncPeriod time.Duration
	Clock        clock.Clock
	// Logger is named after each informer's resource.
	Logger *zap.Logger
}

// Selection narrows a shared informer to one namespace ("" for all) and to the objects its
// selectors match. Informers of one kind with equal Selections are one informer.
type Selection struct {
	Namespace     string
	LabelSelector string
	FieldSelector string
}

// Factory hands out shared informers: one per kind and Selection however many consumers ask for
// it, so a process lists and watches each resource once. Ask with For before or after Start;
// informers asked for after Start start at once. Its methods are safe for concurrent use.
type Factory struct {
	client *client.Client
	opts   FactoryOptions

	mu        sync.Mutex
	informers map[factoryKey]runnable
	// ctx is Start's context once Start is called; informers made later start under it.
	ctx context.Context
	// shutdown is set once Shutdown began waiting: an informer made later is never started, as
	// its context has ended and wg may not grow while Shutdown waits on it.
	shutdown bool
	wg       sync.WaitGroup
}

type factoryKey struct {
	gvr scheme.GroupVersionResource
	sel Selection
}

// runnable is what the factory needs of an *Informer[T] of any T.
type runnable interface {
	Dynamic
	Run(ctx context.Context) error
}

// NewFactory returns a factory whose informers list and watch through c. It starts nothing.
func NewFactory(c *client.Client, opts FactoryOptions) *Factory {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	return &Factory{client: c, opts: opts, informers: map[factoryKey]runnable{}}
}

// For returns f's shared informer of T's kind, narrowed by sel (at most one; none means every
// object of every namespace), making it on first use. Every caller asking for the same kind and
// Selection gets the same informer: add handlers and indexers to it, never Run it. It panics if T
// is not a registered kind, which only a programming error can cause.
func For[T scheme.Object](f *Factory, sel ...Selection) *Informer[T] {
	var s Selection
	if len(sel) > 0 {
		s = sel[0]
	}
	lw := client.For[T](f.client, s.Namespace)
	key := factoryKey{gvr: lw.Kind().GVR(), sel: s}
	f.mu.Lock()
	defer f.mu.Unlock()
	if inf, ok := f.informers[key]; ok {
		return typed[T](inf, key.gvr) // the kind, hence the key, fixes T unless ForKind made it
	}
	inf := New[T](lw, Options[T]{
		LabelSelector: s.LabelSelector, FieldSelector: s.FieldSelector, ResyncPeriod: f.opts.ResyncPeriod,
		Clock: f.opts.Clock, Logger: f.opts.Logger.Named(lw.Kind().Resource),
	})
	f.informers[key] = inf
	if f.ctx != nil {
		f.startLocked(inf)
	}
	return inf
}

// Start runs, until ctx ends, every informer made so far and every one made later. It returns at
// once; Shutdown waits for the informers to stop. Calls after the first do nothing.
func (f *Factory) Start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ctx != nil {
		return
	}
	f.ctx = ctx
	for _, inf := range f.informers {
		f.startLocked(inf)
	}
}

// startLocked runs inf under Start's context unless Shutdown began; the caller holds f.mu.
func (f *Factory) startLocked(inf runnable) {
	if f.shutdown {
		return
	}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		_ = inf.Run(f.ctx) // an informer's Run retries until its context ends, then returns nil
	}()
}

// Shutdown waits until every informer Start started has returned, which happens once Start's
// context has ended. An informer made from then on is not started: a consumer that asks for one
// while its run is stopping waits for it no longer than for its own context.
func (f *Factory) Shutdown() {
	f.mu.Lock()
	f.shutdown = true
	f.mu.Unlock()
	f.wg.Wait()
}

// Run starts the informers, blocks until ctx ends and returns once they all have: Start and
// Shutdown as one Run(ctx) error, for a run group.
func (f *Factory) Run(ctx context.Context) error {
	f.Start(ctx)
	<-ctx.Done()
	f.Shutdown()
	return nil
}

// HasSynced reports whether every informer made so far has synced.
func (f *Factory) HasSynced() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inf := range f.informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every informer made so far has been started and has synced, or ctx
// ends, and reports which. Called before Start, it waits for Start too.
func (f *Factory) WaitForSync(ctx context.Context) bool {
	for {
		var waiting []runnable
		f.mu.Lock()
		for _, inf := range f.informers {
			if !inf.HasSynced() {
				waiting = append(waiting, inf)
			}
		}
		f.mu.Unlock()
		if len(waiting) == 0 {
			return true
		}
		for _, inf := range waiting {
			if !inf.WaitForSync(ctx) {
				return false
			}
		}
		// Look again: informers may have been made meanwhile.
	}
}
