package integration

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/test/framework"
)

// controllerBuilder builds one controller on a client and a factory.
type controllerBuilder func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (harness.Controller, error)

// inProcessController runs built controllers and the shared informer factory they need: the
// factory first, then, once it has synced, each controller with two workers.
type inProcessController struct {
	f           *informer.Factory
	rec         *events.Recorder
	controllers []harness.Controller
}

func (r *inProcessController) Run(ctx context.Context) error {
	r.f.Start(ctx)
	defer r.f.Shutdown()
	done := make(chan error, len(r.controllers)+1)
	go func() { done <- r.rec.Run(ctx) }()
	if r.f.WaitForSync(ctx) {
		for _, c := range r.controllers {
			go func() { done <- c.Run(ctx, 2) }()
		}
	} else {
		r.controllers = nil
	}
	<-ctx.Done()
	var errs []error
	for range len(r.controllers) + 1 {
		errs = append(errs, <-done)
	}
	return errors.Join(errs...)
}

// startControllers runs the controllers builders make against cl until the test ends, or until
// the test stops the returned runner.
func startControllers(t *testing.T, cl *framework.Cluster, builders ...controllerBuilder) *framework.Running {
	t.Helper()
	c := cl.Client()
	lg := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	f := informer.NewFactory(c, informer.FactoryOptions{Logger: lg})
	rec := events.New(events.Config{Sink: events.ClientSink{Client: c}, Component: "controller-manager", Logger: lg})
	r := &inProcessController{f: f, rec: rec}
	for _, b := range builders {
		ctl, err := b(c, f, rec, clock.RealClock{}, lg)
		if err != nil {
			t.Fatalf("build controller: %v", err)
		}
		r.controllers = append(r.controllers, ctl)
	}
	return framework.Start(t, r)
}
