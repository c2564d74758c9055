package manager

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/run"
)

// Controller is a constructed controller: Run reconciles until ctx ends and returns once its
// workers have stopped. It is called after the informers have synced.
type Controller interface {
	Run(ctx context.Context) error
}

// Constructor builds a controller on the shared context: it takes its informers from
// ctx.Informers and adds its handlers to them, makes its recorder with ctx.Recorder, and starts
// nothing.
type Constructor func(ctx *Context) (Controller, error)

// Registration names a controller for --controllers and says how to build it.
type Registration struct {
	Name string
	New  Constructor
}

// Context is what every controller is built from. One Context serves one leadership term.
type Context struct {
	Client *client.Client
	// Informers is the one factory of the process: each resource is listed and watched once,
	// whatever the number of controllers reading it.
	Informers *informer.Factory
	Clock     clock.Clock
	// Logger is named after the controller being built.
	Logger *zap.Logger
	Config Config
	// Host fills the source.host of the events controllers record.
	Host string

	mu        sync.Mutex
	recorders []*events.Recorder
}

// Recorder returns a new event recorder reporting as component ("replicaset-controller"). The
// manager runs it for as long as the controllers run.
func (c *Context) Recorder(component string) *events.Recorder {
	r := events.New(events.Config{
		Sink: events.ClientSink{Client: c.Client}, Component: component, Host: c.Host,
		Scheme: c.Client.Scheme(), Clock: c.Clock, Logger: c.Logger.Named("events"),
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recorders = append(c.recorders, r)
	return r
}

// Options are what Run builds the shared Context from.
type Options struct {
	Client *client.Client
	Clock  clock.Clock
	Logger *zap.Logger
	Config Config
	Host   string
}

// Run builds the registered controllers that Config.Controllers selects, in registration order,
// on one shared Context; then starts the informer factory and the event recorders, waits until
// every informer has synced, and runs the controllers until ctx ends. Shutdown: when ctx ends the
// controllers stop their workers, then the informers and recorders stop; Run returns once all
// have. A constructor's error is returned before anything starts; a controller's error stops the
// others and is returned.
func Run(ctx context.Context, opts Options, regs []Registration) error {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	names := make([]string, len(regs))
	for i, r := range regs {
		names[i] = r.Name
	}
	selected, err := Select(opts.Config.Controllers, names)
	if err != nil {
		return err
	}
	mctx := &Context{
		Client: opts.Client, Clock: opts.Clock, Config: opts.Config, Host: opts.Host,
		Informers: informer.NewFactory(opts.Client, informer.FactoryOptions{Clock: opts.Clock, Logger: opts.Logger.Named("informers")}),
	}
	var ctrls []func(context.Context) error
	for _, r := range regs {
		if !slices.Contains(selected, r.Name) {
			opts.Logger.Info("controller disabled", zap.String("controller", r.Name))
			continue
		}
		mctx.Logger = opts.Logger.Named(r.Name)
		c, err := r.New(mctx)
		if err != nil {
			return fmt.Errorf("build controller %s: %w", r.Name, err)
		}
		opts.Logger.Info("controller built", zap.String("controller", r.Name))
		ctrls = append(ctrls, c.Run)
	}
	mctx.Logger = opts.Logger
	fns := []func(context.Context) error{mctx.Informers.Run}
	for _, r := range mctx.recorders {
		fns = append(fns, r.Run)
	}
	fns = append(fns, func(ctx context.Context) error {
		if !mctx.Informers.WaitForSync(ctx) {
			return nil
		}
		opts.Logger.Info("informers synced; starting controllers", zap.Int("controllers", len(ctrls)))
		return run.Group(ctx, ctrls...)
	})
	return run.Group(ctx, fns...)
}
