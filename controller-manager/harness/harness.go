// Package harness builds single controllers of the controller manager outside the manager, so
// integration tests in other modules can run one controller in-process against a cluster without
// leader election or the controller registry. Daemons never use it: the manager's server wires
// the same constructors.
package harness

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/controller-manager/internal/deployment"
	"github.com/keelson-dev/keelson/controller-manager/internal/endpoints"
	"github.com/keelson-dev/keelson/controller-manager/internal/garbagecollector"
	"github.com/keelson-dev/keelson/controller-manager/internal/namespace"
	"github.com/keelson-dev/keelson/controller-manager/internal/replicaset"
	"github.com/keelson-dev/keelson/controller-manager/internal/resourcequota"
	"github.com/keelson-dev/keelson/controller-manager/internal/serviceaccount"
	"github.com/keelson-dev/keelson/controller-manager/internal/statefulset"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// Controller is a controller built but not running: the caller starts the factory it was built
// on, waits for it to sync, then calls Run, which returns once ctx has ended and its workers have
// stopped.
type Controller interface {
	Run(ctx context.Context, workers int) error
}

// Endpoints builds the endpoints controller on f.
func Endpoints(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return endpoints.New(c, f, rec, clk, lg, endpoints.Options{})
}

// ServiceAccounts builds the service accounts controller on f.
func ServiceAccounts(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return serviceaccount.New(c, f, rec, clk, lg, serviceaccount.Options{})
}

// Namespaces builds the namespace controller on f.
func Namespaces(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return namespace.New(c, f, rec, clk, lg, namespace.Options{})
}

// StatefulSets builds the stateful set controller on f; its Run ignores workers beyond the one
// it was built with (workers).
func StatefulSets(workers int) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		ctl := statefulset.New(statefulset.Config{Client: c, Informers: f, Recorder: rec, Workers: workers, Clock: clk, Logger: lg})
		return builtWorkers{run: ctl.Run}, nil
	}
}

// runIgnoringWorkers adapts a controller built with its workers to Controller.
type runIgnoringWorkers struct {
	ctl interface{ Run(context.Context) error }
}

func (r runIgnoringWorkers) Run(ctx context.Context, _ int) error { return r.ctl.Run(ctx) }

// Tokens returns a builder of the service account tokens controller signing with the key in
// privateKeyFile ("" builds it disabled).
func Tokens(privateKeyFile string) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return serviceaccount.NewTokens(c, f, rec, clk, lg, serviceaccount.TokensOptions{PrivateKeyFile: privateKeyFile})
	}
}

// Deployments builds the Deployment controller on f.
func Deployments(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return deployment.New(c, f, rec, clk, lg, deployment.Options{})
}

// ResourceQuota returns a builder of the resource quota controller recounting every quota each
// syncPeriod (0 takes the default).
func ResourceQuota(syncPeriod time.Duration) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return resourcequota.New(c, f, rec, clk, lg, resourcequota.Options{SyncPeriod: syncPeriod})
	}
}

// GarbageCollector builds the garbage collector on f. It asks f for an informer of every kind
// when it runs, so build and run it after the controllers that share f have been built.
func GarbageCollector(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return garbagecollector.New(c, f, rec, clk, lg, garbagecollector.Options{})
}

// ReplicaSet returns a builder of the ReplicaSet controller with workers workers: the number is
// fixed when the controller is built, so the one Run is given is not used.
func ReplicaSet(workers int) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		ctl := replicaset.New(replicaset.Config[*appsv1.ReplicaSet]{
			Kind: replicaset.ReplicaSets(), Client: c, Informers: f, Recorder: rec, Workers: workers, Clock: clk, Logger: lg,
		})
		return builtWorkers{run: ctl.Run}, nil
	}
}

// builtWorkers adapts a controller whose workers were set when it was built.
type builtWorkers struct {
	run func(context.Context) error
}

func (b builtWorkers) Run(ctx context.Context, _ int) error { return b.run(ctx) }
