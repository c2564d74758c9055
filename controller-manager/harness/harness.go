// Package harness builds single controllers of the controller manager outside the manager, so
// integration tests in other modules can run one controller in-process against a cluster without
// leader election or the controller registry. Daemons never use it: the manager's server wires
// the same constructors.
package harness

import (
	"context"

	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/controller-manager/internal/daemonset"
	"github.com/keelson-dev/keelson/controller-manager/internal/endpoints"
	"github.com/keelson-dev/keelson/controller-manager/internal/job"
	"github.com/keelson-dev/keelson/controller-manager/internal/namespace"
	"github.com/keelson-dev/keelson/controller-manager/internal/serviceaccount"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
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

// Tokens returns a builder of the service account tokens controller signing with the key in
// privateKeyFile ("" builds it disabled).
func Tokens(privateKeyFile string) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return serviceaccount.NewTokens(c, f, rec, clk, lg, serviceaccount.TokensOptions{PrivateKeyFile: privateKeyFile})
	}
}

// DaemonSets builds the daemon set controller on f.
func DaemonSets(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
	return daemonset.New(c, f, rec, clk, lg)
}

// Jobs returns a builder of the job controller whose pod-failure backoff starts at backoff and
// is capped at maxBackoff (Kubernetes' 10 s and 6 min when zero).
func Jobs(backoff, maxBackoff time.Duration) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return job.New(c, f, rec, clk, lg, job.Options{Backoff: backoff, MaxBackoff: maxBackoff})
	}
}
