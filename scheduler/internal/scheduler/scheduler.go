package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/run"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/algorithmprovider"
	"github.com/keelson-dev/keelson/scheduler/internal/cache"
	"github.com/keelson-dev/keelson/scheduler/internal/core"
	"github.com/keelson-dev/keelson/scheduler/internal/metrics"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
	"github.com/keelson-dev/keelson/scheduler/internal/queue"
)

// Config configures a Scheduler.
type Config struct {
	Client *client.Client
	// Informers is the process's informer factory; the scheduler asks it for the informers it
	// needs when it is built, and whoever runs the factory (not the scheduler) feeds them.
	Informers *informer.Factory
	// SchedulerName is the spec.schedulerName of the pods this scheduler places; pods naming none
	// count as "default-scheduler"'s.
	SchedulerName string
	// Registry and Provider name the algorithm.
	Registry *algorithmprovider.Registry
	Provider string
	// PercentageOfNodesToScore and Parallelism tune the algorithm; see core.Config.
	PercentageOfNodesToScore int32
	Parallelism              int
	// BindConcurrency bounds the bindings being written at once (default 256): under load a
	// binding takes tens of milliseconds, so fewer slots would cap throughput below what the
	// apiserver sustains.
	BindConcurrency int
	// InitialBackoff and MaxBackoff bound the backoff of pods that failed (defaults 1 s, 10 s).
	InitialBackoff, MaxBackoff time.Duration
	// AssumedPodTTL is how long an assumed pod whose binding was written waits for the informer
	// to confirm it before it is dropped (default 5 min).
	AssumedPodTTL time.Duration
	// Host names this scheduler in its events' source.
	Host    string
	Metrics *metrics.Metrics
	Clock   clock.Clock
	Logger  *zap.Logger
	// Rand breaks ties between equally good nodes (default: randomly seeded).
	Rand *rand.Rand
	// Bind writes a binding (default: the binding subresource through Client).
	Bind func(ctx context.Context, namespace, name, node string) error
}

// DefaultSchedulerName is the scheduler name pods get when they name none.
const DefaultSchedulerName = "default-scheduler"

// Scheduler places pods. Build it with New and run it once with Run.
type Scheduler struct {
	cfg       Config
	lg        *zap.Logger
	algo      *core.Scheduler
	cache     *cache.Cache
	queue     *queue.Queue
	snapshot  *nodeinfo.Snapshot
	recorder  *events.Recorder
	status    *statusWriter
	informers informers

	bindSlots chan struct{}
	binds     sync.WaitGroup
}

// informers are the scheduler's views of the API, shared through Config.Informers.
type informers struct {
	factory      *informer.Factory
	pods         *informer.Informer[*corev1.Pod]
	nodes        *informer.Informer[*corev1.Node]
	namespaces   *informer.Informer[*corev1.Namespace]
	services     *informer.Informer[*corev1.Service]
	rcs          *informer.Informer[*corev1.ReplicationController]
	replicaSets  *informer.Informer[*appsv1.ReplicaSet]
	statefulSets *informer.Informer[*appsv1.StatefulSet]
}

// New builds a scheduler: its informers, cache, queue and algorithm. It starts nothing.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Client == nil || cfg.Informers == nil || cfg.Registry == nil || cfg.Metrics == nil {
		return nil, errors.New("scheduler: Client, Informers, Registry and Metrics are required")
	}
	if cfg.SchedulerName == "" {
		cfg.SchedulerName = DefaultSchedulerName
	}
	if cfg.BindConcurrency <= 0 {
		cfg.BindConcurrency = 256
	}
	if cfg.AssumedPodTTL <= 0 {
		cfg.AssumedPodTTL = 5 * time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Bind == nil {
		c := cfg.Client
		cfg.Bind = func(ctx context.Context, namespace, name, node string) error {
			return c.Pods(namespace).Bind(ctx, name, node)
		}
	}
	s := &Scheduler{cfg: cfg, lg: cfg.Logger, snapshot: nodeinfo.NewEmptySnapshot(), bindSlots: make(chan struct{}, cfg.BindConcurrency)}
	s.informers = newInformers(cfg.Informers)
	alg, err := cfg.Registry.Build(cfg.Provider, algorithmprovider.Args{Listers: s.listers()})
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	s.algo = core.New(core.Config{
		Predicates: alg.Predicates, Priorities: alg.Priorities,
		PercentageOfNodesToScore: cfg.PercentageOfNodesToScore, Parallelism: cfg.Parallelism, Rand: cfg.Rand,
	})
	s.cache = cache.New(cfg.AssumedPodTTL, cfg.Clock, cfg.Logger)
	cfg.Metrics.SetCacheSizes(s.cache.Sizes)
	s.queue = queue.New(queue.Config{
		InitialBackoff: cfg.InitialBackoff, MaxBackoff: cfg.MaxBackoff, Clock: cfg.Clock,
		Depths: cfg.Metrics.SetQueueDepths,
	})
	s.recorder = events.New(events.Config{
		Sink: events.ClientSink{Client: cfg.Client}, Component: cfg.SchedulerName, Host: cfg.Host, Scheme: cfg.Client.Scheme(),
		Clock: cfg.Clock, Logger: cfg.Logger, OnDrop: cfg.Metrics.EventsDropped.Inc,
	})
	s.status = newStatusWriter(cfg.Client, s.informers.pods.Lister(), cfg.Clock, cfg.Logger)
	s.addHandlers()
	return s, nil
}

func newInformers(f *informer.Factory) informers {
	return informers{
		factory:      f,
		pods:         informer.For[*corev1.Pod](f),
		nodes:        informer.For[*corev1.Node](f),
		namespaces:   informer.For[*corev1.Namespace](f),
		services:     informer.For[*corev1.Service](f),
		rcs:          informer.For[*corev1.ReplicationController](f),
		replicaSets:  informer.For[*appsv1.ReplicaSet](f),
		statefulSets: informer.For[*appsv1.StatefulSet](f),
	}
}

// listers reads the informers for the priorities.
func (s *Scheduler) listers() algorithm.Listers {
	inf := s.informers
	return algorithm.Listers{
		Services:               inf.services.Lister().ListNamespace,
		ReplicationControllers: inf.rcs.Lister().ListNamespace,
		ReplicaSets:            inf.replicaSets.Lister().ListNamespace,
		StatefulSets:           inf.statefulSets.Lister().ListNamespace,
		NamespaceLabels:        s.namespaceLabels,
	}
}

func (s *Scheduler) namespaceLabels(name string) map[string]string {
	ns, ok := s.informers.namespaces.Lister().Get("", name)
	if !ok {
		return nil
	}
	return ns.GetMetadata().GetLabels()
}

// RunWatches keeps the scheduler's view of the cluster current until ctx ends, while the informer
// factory (run by its owner) fills the cache and the queue: the queue's backoff flusher, the
// cache's expiry of assumptions, the event recorder and the status writer. A standby runs it while
// it waits for leadership, so that it can schedule the moment it leads. It returns once all of
// them have, and closes the queue.
func (s *Scheduler) RunWatches(ctx context.Context) error {
	return run.Group(ctx, s.queue.Run, s.cache.Run, s.recorder.Run, s.status.Run)
}

// HasSynced reports whether every informer has synced, after which the scheduler schedules.
func (s *Scheduler) HasSynced() bool { return s.informers.factory.HasSynced() }

// Schedule waits for the informers to sync, then schedules one pod after another until ctx ends,
// which closes the queue for good; it returns once the bindings in flight (whose calls ctx
// cancels) have ended. Call it at most once, while RunWatches and the informer factory run.
func (s *Scheduler) Schedule(ctx context.Context) error {
	stop := context.AfterFunc(ctx, s.queue.Close)
	defer stop()
	defer s.binds.Wait()
	if !s.informers.factory.WaitForSync(ctx) {
		return nil
	}
	s.lg.Info("informers synced; scheduling", zap.String("provider", s.cfg.Provider),
		zap.Int("nodes", s.cache.NumNodes()), zap.Int("assignedPods", s.cache.NumPods()))
	for {
		p, cycle, ok := s.queue.Pop()
		if !ok {
			return nil
		}
		s.scheduleOne(ctx, p, cycle)
	}
}
