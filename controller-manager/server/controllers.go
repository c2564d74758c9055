package server

import (
	"context"

	"github.com/keelson-dev/keelson/controller-manager/internal/daemonset"
	"github.com/keelson-dev/keelson/controller-manager/internal/endpoints"
	"github.com/keelson-dev/keelson/controller-manager/internal/job"
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/controller-manager/internal/namespace"
	"github.com/keelson-dev/keelson/controller-manager/internal/replicaset"
	"github.com/keelson-dev/keelson/controller-manager/internal/serviceaccount"
)

// Controllers returns every controller the controller manager can run, by the name --controllers
// knows it by, in the order they are built.
func Controllers() []manager.Registration {
	return []manager.Registration{
		{Name: replicaset.ReplicaSetName, New: replicaset.NewReplicaSetController},
		{Name: replicaset.ReplicationControllerName, New: replicaset.NewReplicationController},
		{Name: "endpoint", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := endpoints.New(c.Client, c.Informers, c.Recorder("endpoint-controller"), c.Clock, c.Logger, endpoints.Options{})
			return withWorkers(ctl, err, c.Config.ConcurrentEndpointSyncs)
		}},
		{Name: "namespace", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := namespace.New(c.Client, c.Informers, c.Recorder("namespace-controller"), c.Clock, c.Logger, namespace.Options{})
			return withWorkers(ctl, err, c.Config.ConcurrentNamespaceSyncs)
		}},
		{Name: "serviceaccount", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := serviceaccount.New(c.Client, c.Informers, c.Recorder("service-account-controller"), c.Clock, c.Logger, serviceaccount.Options{})
			return withWorkers(ctl, err, 1)
		}},
		{Name: "serviceaccount-token", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := serviceaccount.NewTokens(c.Client, c.Informers, c.Recorder("tokens-controller"), c.Clock, c.Logger,
				serviceaccount.TokensOptions{PrivateKeyFile: c.Config.ServiceAccountPrivateKeyFile, RootCAFile: c.Config.RootCAFile})
			return withWorkers(ctl, err, c.Config.ConcurrentServiceAccountTokenSyncs)
		}},
		{Name: daemonset.Name, New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := daemonset.NewFromManager(c)
			return withWorkers(ctl, err, c.Config.ConcurrentDaemonSetSyncs)
		}},
		{Name: job.Name, New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := job.NewFromManager(c)
			return withWorkers(ctl, err, c.Config.ConcurrentJobSyncs)
		}},
	}
}

// workerRunner is a controller whose Run takes its number of workers.
type workerRunner interface {
	Run(ctx context.Context, workers int) error
}

// withWorkers adapts a controller built with err to the manager's Run(ctx), with n workers.
func withWorkers[T workerRunner](ctl T, err error, n int) (manager.Controller, error) {
	if err != nil {
		return nil, err
	}
	return runWith{run: ctl.Run, workers: n}, nil
}

type runWith struct {
	run     func(context.Context, int) error
	workers int
}

func (r runWith) Run(ctx context.Context) error { return r.run(ctx, r.workers) }

// ControllerNames returns the names of Controllers(), in order.
func ControllerNames() []string {
	regs := Controllers()
	names := make([]string, len(regs))
	for i, r := range regs {
		names[i] = r.Name
	}
	return names
}
