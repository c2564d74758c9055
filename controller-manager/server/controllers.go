package server

import (
	"context"
	"fmt"
	"os"

	"github.com/keelson-dev/keelson/controller-manager/internal/csrapproving"
	"github.com/keelson-dev/keelson/controller-manager/internal/csrsigning"
	"github.com/keelson-dev/keelson/controller-manager/internal/daemonset"
	"github.com/keelson-dev/keelson/controller-manager/internal/deployment"
	"github.com/keelson-dev/keelson/controller-manager/internal/endpoints"
	"github.com/keelson-dev/keelson/controller-manager/internal/garbagecollector"
	"github.com/keelson-dev/keelson/controller-manager/internal/job"
	"github.com/keelson-dev/keelson/controller-manager/internal/manager"
	"github.com/keelson-dev/keelson/controller-manager/internal/namespace"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodeipam"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodelifecycle"
	"github.com/keelson-dev/keelson/controller-manager/internal/podgc"
	"github.com/keelson-dev/keelson/controller-manager/internal/replicaset"
	"github.com/keelson-dev/keelson/controller-manager/internal/resourcequota"
	"github.com/keelson-dev/keelson/controller-manager/internal/rootcacert"
	"github.com/keelson-dev/keelson/controller-manager/internal/serviceaccount"
	"github.com/keelson-dev/keelson/controller-manager/internal/statefulset"
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
		{Name: statefulset.Name, New: func(c *manager.Context) (manager.Controller, error) {
			ctl := statefulset.New(statefulset.Config{Client: c.Client, Informers: c.Informers,
				Recorder: c.Recorder("statefulset-controller"), Workers: c.Config.ConcurrentStatefulSetSyncs,
				Clock: c.Clock, Logger: c.Logger})
			return ctl, nil
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
		{Name: "deployment", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := deployment.New(c.Client, c.Informers, c.Recorder("deployment-controller"), c.Clock, c.Logger, deployment.Options{})
			return withWorkers(ctl, err, c.Config.ConcurrentDeploymentSyncs)
		}},
		{Name: "resourcequota", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := resourcequota.New(c.Client, c.Informers, c.Recorder("resourcequota-controller"), c.Clock, c.Logger,
				resourcequota.Options{SyncPeriod: c.Config.ResourceQuotaSyncPeriod})
			return withWorkers(ctl, err, c.Config.ConcurrentResourceQuotaSyncs)
		}},
		{Name: "nodelifecycle", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := nodelifecycle.New(c.Client, c.Informers, c.Recorder("node-controller"), c.Clock, c.Logger, NodeLifecycleOptions(c.Config.Node))
			return withWorkers(ctl, err, 2)
		}},
		{Name: "nodeipam", New: func(c *manager.Context) (manager.Controller, error) {
			if !c.Config.Node.AllocateNodeCIDRs {
				c.Logger.Info("node IPAM does not run: --allocate-node-cidrs is false")
				return idle{}, nil
			}
			opts, err := NodeIPAMOptions(c.Config.Node)
			if err != nil {
				return nil, err
			}
			ctl, err := nodeipam.New(c.Client, c.Informers, c.Recorder("node-ipam-controller"), c.Clock, c.Logger, opts)
			return withWorkers(ctl, err, 1)
		}},
		{Name: "podgc", New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := podgc.New(c.Client, c.Informers, c.Recorder("pod-garbage-collector"), c.Clock, c.Logger, PodGCOptions(c.Config.Node))
			return withWorkers(ctl, err, 1)
		}},
		{Name: daemonset.Name, New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := daemonset.NewFromManager(c)
			return withWorkers(ctl, err, c.Config.ConcurrentDaemonSetSyncs)
		}},
		{Name: job.Name, New: func(c *manager.Context) (manager.Controller, error) {
			ctl, err := job.NewFromManager(c)
			return withWorkers(ctl, err, c.Config.ConcurrentJobSyncs)
		}},
		{Name: rootcacert.Name, New: func(c *manager.Context) (manager.Controller, error) {
			if c.Config.RootCAFile == "" {
				c.Logger.Info("root CA certificate publisher does not run: --root-ca-file is not set")
				return idle{}, nil
			}
			ca, err := os.ReadFile(c.Config.RootCAFile)
			if err != nil {
				return nil, fmt.Errorf("--root-ca-file: %w", err)
			}
			ctl, err := rootcacert.New(c.Client, c.Informers, c.Recorder("root-ca-cert-publisher"), c.Clock, c.Logger, ca)
			return withWorkers(ctl, err, 1)
		}},
		{Name: csrapproving.Name, New: func(c *manager.Context) (manager.Controller, error) {
			// Each requestor is authorized through a SubjectAccessReview, as in Kubernetes.
			ctl, err := csrapproving.New(c.Client, c.Informers, c.Clock, c.Logger, csrapproving.Options{})
			return withWorkers(ctl, err, 1)
		}},
		{Name: csrsigning.Name, New: func(c *manager.Context) (manager.Controller, error) {
			sc := c.Config.Signing
			if sc.ClusterSigningCertFile == "" {
				c.Logger.Info("not starting the certificate signer: no --cluster-signing-cert-file")
				return idle{}, nil
			}
			ca, err := csrsigning.LoadCA(sc.ClusterSigningCertFile, sc.ClusterSigningKeyFile)
			if err != nil {
				return nil, err
			}
			ctl, err := csrsigning.New(c.Client, c.Informers, c.Clock, c.Logger,
				csrsigning.Options{CA: ca, Duration: sc.ClusterSigningDuration})
			return withWorkers(ctl, err, 1)
		}},
		// The garbage collector asks for an informer of every kind when it runs; registered
		// last, it is built after every controller that asks for typed ones.
		{Name: "garbagecollector", New: func(c *manager.Context) (manager.Controller, error) {
			if !c.Config.EnableGarbageCollector {
				c.Logger.Info("garbage collector disabled by --enable-garbage-collector=false")
				return idle{}, nil
			}
			ctl, err := garbagecollector.New(c.Client, c.Informers, c.Recorder("garbage-collector-controller"), c.Clock, c.Logger,
				garbagecollector.Options{})
			return withWorkers(ctl, err, c.Config.ConcurrentGCSyncs)
		}},
	}
}

// idle stands for a controller its configuration turns off: it waits for the end of the term.
type idle struct{}

func (idle) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
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
