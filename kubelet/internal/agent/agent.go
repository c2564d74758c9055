// Package agent is one node's API-facing half of the kubelet: it registers the Node and posts its
// status, renews its Lease, takes the node's pods from the API server, merges them with the
// static pods of the other sources into the desired set handed to the pod workers, and keeps
// mirror pods for the static ones. A kubelet process runs one NodeAgent, or many hollow ones
// sharing a client and an informer.
package agent

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/lease"
	"github.com/keelson-dev/keelson/kubelet/internal/mirror"
	"github.com/keelson-dev/keelson/kubelet/internal/nodestatus"
	"github.com/keelson-dev/keelson/kubelet/internal/podsource"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/run"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Config is one node agent's configuration.
type Config struct {
	Node nodestatus.Config
	// LeaseDuration is the Lease's leaseDurationSeconds; it is renewed every quarter of it, as
	// Kubernetes does (40s and 10s by default).
	LeaseDuration time.Duration
	// MirrorResync is how often mirror pods are reconciled without a change (default 10s).
	MirrorResync time.Duration
	// NoStaticPods says the node has no static pod source (hollow nodes): no mirror pod loop runs,
	// saving a goroutine and a periodic reconcile per node.
	NoStaticPods bool
}

// MirrorObserver is a Sink that wants to know when a static pod's mirror pod is created anew (the
// pod workers write the static pod's status to it).
type MirrorObserver interface {
	MirrorCreated(staticUID string)
}

// Deps are what a NodeAgent works with; hollow agents share all but Sink and Runtime.
type Deps struct {
	Client *client.Client
	// APIPods routes the node's pods from the shared pod informer.
	APIPods *podsource.APIPods
	// Sink receives the desired set: the pod workers.
	Sink podsource.PodSink
	// Runtime names the container runtime in nodeInfo; nil while none is wired.
	Runtime nodestatus.Versioner
	Machine nodestatus.Machine
	// Recorder records Events (bad manifests); nil records none.
	Recorder *events.Recorder
	Clock    clock.Clock
	Logger   *zap.Logger
}

// NodeAgent is one node's registration, status, lease, pod sources merge and mirror pods.
type NodeAgent struct {
	cfg      Config
	deps     Deps
	lg       *zap.Logger
	reporter *nodestatus.Reporter
	lease    *lease.Controller
	mirror   *mirror.Manager
	merger   *podsource.Merger
}

// New builds a node agent; it starts nothing.
func New(cfg Config, deps Deps) *NodeAgent {
	name := cfg.Node.NodeName
	lg := deps.Logger
	a := &NodeAgent{cfg: cfg, deps: deps, lg: lg}
	a.reporter = nodestatus.NewReporter(cfg.Node, deps.Client.Nodes(), deps.Machine, deps.Runtime, deps.Clock, lg.Named("status"))
	a.lease = lease.New(lease.Config{
		NodeName: name, Duration: cfg.LeaseDuration, RenewInterval: cfg.LeaseDuration / 4, NodeUID: a.nodeUID,
	}, deps.Client.Leases(lease.Namespace), deps.Clock, lg.Named("lease"))
	a.mirror = mirror.New(mirror.Config{
		NodeName: name,
		Pods:     func(ns string) mirror.PodClient { return deps.Client.Pods(ns) },
		StaticPods: func() []*corev1.Pod {
			return a.merger.StaticPods()
		},
		MirrorPods: func() ([]*corev1.Pod, bool) {
			return deps.APIPods.Pods(name), deps.APIPods.HasSynced()
		},
		NodeUID: a.nodeUID,
		Resync:  cfg.MirrorResync,
		Created: func(static *corev1.Pod) {
			if o, ok := deps.Sink.(MirrorObserver); ok {
				o.MirrorCreated(static.GetMetadata().GetUid())
			}
		},
	}, deps.Clock, lg.Named("mirror"))
	a.merger = podsource.NewMerger(deps.Sink, a.mirror.Trigger, lg.Named("sources"))
	return a
}

// NodeName is the node's name.
func (a *NodeAgent) NodeName() string { return a.cfg.Node.NodeName }

// Sources is where the file, URL and posted-manifest sources set their pods.
func (a *NodeAgent) Sources() podsource.Setter { return a.merger }

// Pods returns the desired set as last handed to the pod workers.
func (a *NodeAgent) Pods() []*corev1.Pod { return a.merger.Pods() }

// Node returns the Node as last written or read, nil before registration.
func (a *NodeAgent) Node() *corev1.Node { return a.reporter.Node() }

// ShuttingDown marks the node NotReady for good, as a node shutdown does, and posts its status.
func (a *NodeAgent) ShuttingDown(ctx context.Context) error { return a.reporter.ShuttingDown(ctx) }

func (a *NodeAgent) nodeUID() string { return a.reporter.Node().GetMetadata().GetUid() }

// BadManifest logs a bad manifest and records a Warning Event on the Node naming its origin and
// the error; it makes NodeAgent a podsource.Reporter.
func (a *NodeAgent) BadManifest(origin string, err error) {
	a.lg.Warn("bad pod manifest skipped", zap.String("manifest", origin), zap.Error(err))
	if a.deps.Recorder == nil {
		return
	}
	node := a.reporter.Node()
	if node == nil {
		node = &corev1.Node{Metadata: &metav1.ObjectMeta{Name: a.NodeName()}}
	}
	a.deps.Recorder.Eventf(node, events.TypeWarning, "FailedToParseManifest", "manifest %s: %v", origin, err)
}

// Run registers the node and keeps its status, lease, desired set and mirror pods until ctx ends.
// The API source starts feeding the desired set at once; the static sources feed it through
// Sources. It returns nil once everything it started has stopped.
func (a *NodeAgent) Run(ctx context.Context) error {
	var stamper podsource.APIStamper
	a.deps.APIPods.Register(a.NodeName(), func(pods []*corev1.Pod) {
		a.merger.Set(podsource.KeyAPI, stamper.Stamp(pods))
		a.mirror.Trigger()
	})
	if a.cfg.NoStaticPods {
		return run.Group(ctx, a.reporter.Run, a.lease.Run)
	}
	registered := func(ctx context.Context) error {
		select {
		case <-ctx.Done():
		case <-a.reporter.Registered():
			a.mirror.Trigger()
		}
		return nil
	}
	return run.Group(ctx, a.reporter.Run, a.lease.Run, a.mirror.Run, registered)
}
