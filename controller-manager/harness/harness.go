// Package harness builds single controllers of the controller manager outside the manager, so
// integration tests in other modules can run one controller in-process against a cluster without
// leader election or the controller registry. Daemons never use it: the manager's server wires
// the same constructors.
package harness

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/controller-manager/internal/daemonset"
	"github.com/keelson-dev/keelson/controller-manager/internal/deployment"
	"github.com/keelson-dev/keelson/controller-manager/internal/endpoints"
	"github.com/keelson-dev/keelson/controller-manager/internal/garbagecollector"
	"github.com/keelson-dev/keelson/controller-manager/internal/job"
	"github.com/keelson-dev/keelson/controller-manager/internal/namespace"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodeipam"
	"github.com/keelson-dev/keelson/controller-manager/internal/nodelifecycle"
	"github.com/keelson-dev/keelson/controller-manager/internal/podgc"
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

// NodeLifecycleOptions shape the node lifecycle controller a test builds; zero fields take
// kube-controller-manager's defaults (a negative eviction rate taints no node for eviction).
type NodeLifecycleOptions struct {
	MonitorPeriod, GracePeriod, StartupGracePeriod time.Duration
	EvictionRate, SecondaryEvictionRate            float64
	LargeClusterThreshold                          int
	UnhealthyZoneThreshold                         float64
}

// NodeLifecycle returns a builder of the node lifecycle controller with opts.
func NodeLifecycle(opts NodeLifecycleOptions) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return nodelifecycle.New(c, f, rec, clk, lg, nodelifecycle.Options(opts))
	}
}

// PodGCOptions shape the pod garbage collector a test builds: the terminated pods kept (zero:
// all), how often it looks and how long a node must be missing before its pods go (zero: 20s and
// 40s, as in Kubernetes).
type PodGCOptions struct {
	TerminatedPodThreshold  int
	CheckPeriod, Quarantine time.Duration
}

// PodGC returns a builder of the pod garbage collector with opts.
func PodGC(opts PodGCOptions) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		return podgc.New(c, f, rec, clk, lg, podgc.Options(opts))
	}
}

// NodeIPAM returns a builder of the node IPAM controller cutting node ranges of maskBits out of
// each of clusterCIDRs.
func NodeIPAM(maskBits int, clusterCIDRs ...string) func(*client.Client, *informer.Factory, *events.Recorder, clock.Clock, *zap.Logger) (Controller, error) {
	return func(c *client.Client, f *informer.Factory, rec *events.Recorder, clk clock.Clock, lg *zap.Logger) (Controller, error) {
		var opts nodeipam.Options
		for _, s := range clusterCIDRs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("cluster CIDR: %w", err)
			}
			opts.Ranges = append(opts.Ranges, nodeipam.Range{Cluster: p, MaskBits: maskBits})
		}
		return nodeipam.New(c, f, rec, clk, lg, opts)
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
