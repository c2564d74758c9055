package pods

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Annotations that say where a pod came from, as Kubernetes' kubelet spells them.
const (
	// ConfigSourceAnnotation is "api" for a pod of the API server, "file" or "http" for a static pod.
	ConfigSourceAnnotation = "kubernetes.io/config.source"
	// SourceAPI is the ConfigSourceAnnotation value of API pods.
	SourceAPI = "api"
)

// Defaults of Config's durations and paths.
const (
	DefaultPodLogRoot     = "/var/log/pods"
	DefaultRelistPeriod   = time.Second
	DefaultBackoffInitial = 10 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	// DefaultGracePeriod applies when neither the deletion nor the spec gives one.
	DefaultGracePeriod = 30 * time.Second
)

// ErrNotFound is returned (wrapped) by ContainerLog for a pod, container or run the manager does
// not know. It is the runtime contract's, so whoever serves logs tells it apart the same way.
var ErrNotFound = cri.ErrNotFound

// EventRecorder records Kubernetes events about a pod; *events.Recorder implements it. Eventf must
// not block.
type EventRecorder interface {
	Eventf(obj scheme.Object, eventType, reason, format string, args ...any)
}

// Config is what New needs. Runtime is required; the rest has defaults.
type Config struct {
	// Runtime runs the sandboxes and containers.
	Runtime cri.Runtime
	// Client reaches the API server: statuses are written and deletions confirmed through it, and
	// it serves ConfigMaps, Secrets and Services to environments unless Objects is set. nil: no
	// API server (static pods only); statuses stay local.
	Client *client.Client
	// Objects serves ConfigMaps, Secrets and Services for environments; nil: read through Client.
	Objects Objects
	// NodeName and NodeIP are the node's; NodeIP is the pods' status.hostIP.
	NodeName string
	NodeIP   string
	// NodeAllocatable (cpu, memory, ...) stands in for a container limit a resourceFieldRef reads
	// when the container sets none, as Kubernetes does; nil: such a limit reads as 0.
	NodeAllocatable map[string]string
	// Clock drives relists, backoffs, probes and timestamps; nil: the wall clock.
	Clock clock.Clock
	// Logger logs; nil: no logging.
	Logger *zap.Logger
	// Recorder records events; nil: none.
	Recorder EventRecorder
	// Metrics, if set, gets the manager's collectors registered on it. Give every Manager of a
	// process its own registry (or nil): the names are fixed.
	Metrics prometheus.Registerer
	// PodLogRoot is where pod log directories go; default /var/log/pods.
	PodLogRoot string
	// VolumeRoot is where the kubelet writes pods' projected service account volumes
	// (<root>/<pod uid>/volumes/<volume>); empty mounts none.
	VolumeRoot string
	// Tokens issues the service account tokens of projected volumes; nil: through Client.
	Tokens TokenSource
	// RelistPeriod is how often the runtime is listed for changes; default 1s.
	RelistPeriod time.Duration
	// BackoffInitial and BackoffMax bound the crash-loop backoff (10s doubling to 5m by default);
	// the backoff resets once a container ran for twice BackoffMax.
	BackoffInitial time.Duration
	BackoffMax     time.Duration
	// SourcesReady, if set, says whether every pod source has delivered its pods at least once.
	// Until it does, sandboxes no desired pod owns are left alone: after a restart, the API
	// server's pods may arrive after the manifest directory's, and their containers must be
	// adopted, not removed as orphans.
	SourcesReady func() bool
	// StatusRetryPeriod is how long the status manager waits before retrying a failed write;
	// default 1s.
	StatusRetryPeriod time.Duration
}

// Manager runs the pods of one node. Create it with New, call Run once, and feed it the desired
// pods with SetPods; its methods are safe for concurrent use.
type Manager struct {
	cfg     Config
	clock   clock.Clock
	log     *zap.Logger
	rt      cri.Runtime
	backoff *backoff
	status  *statusManager
	metrics *metrics

	mu      sync.Mutex
	runCtx  context.Context // set by Run; nil before and after
	wg      sync.WaitGroup  // the workers
	workers map[string]*worker
	desired map[string]*corev1.Pod // by UID
	seeded  bool                   // SetPods was called at least once
	ran     bool                   // Run was called
	// rejectReason and rejectMessage, once set by StopAdmitting, refuse pods that have no worker.
	rejectReason, rejectMessage string
	// volumes writes and refreshes projected service account volumes.
	volumes *volumes
	// runtimeName prefixes container IDs in status (<runtime>://<id>); set by Run before any
	// worker starts.
	runtimeName string
}

// New returns a Manager for cfg. It starts nothing: Run does.
func New(cfg Config) (*Manager, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("pods: Config.Runtime is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Recorder == nil {
		cfg.Recorder = discardEvents{}
	}
	if cfg.Objects == nil && cfg.Client != nil {
		cfg.Objects = ClientObjects{Client: cfg.Client}
	}
	if cfg.PodLogRoot == "" {
		cfg.PodLogRoot = DefaultPodLogRoot
	}
	if cfg.RelistPeriod <= 0 {
		cfg.RelistPeriod = DefaultRelistPeriod
	}
	if cfg.BackoffInitial <= 0 {
		cfg.BackoffInitial = DefaultBackoffInitial
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultBackoffMax
	}
	if cfg.StatusRetryPeriod <= 0 {
		cfg.StatusRetryPeriod = time.Second
	}
	if cfg.Tokens == nil && cfg.Client != nil {
		cfg.Tokens = ClientTokens{Client: cfg.Client}
	}
	m := &Manager{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, rt: cfg.Runtime,
		backoff: newBackoff(cfg.Clock, cfg.BackoffInitial, cfg.BackoffMax),
		workers: map[string]*worker{},
		desired: map[string]*corev1.Pod{},
	}
	m.volumes = &volumes{m: m, written: map[string]map[string]projectedVolume{}}
	m.status = newStatusManager(cfg.Client, cfg.Clock, cfg.Logger, cfg.StatusRetryPeriod)
	mt, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	m.metrics = mt
	return m, nil
}

type discardEvents struct{}

func (discardEvents) Eventf(scheme.Object, string, string, string, ...any) {}

// Run runs the relister, the status manager and the pod workers until ctx ends. Workers for pods
// given to SetPods before Run start at once. On return every goroutine has stopped; containers are
// left running so that the next Manager on the same runtime adopts them.
func (m *Manager) Run(ctx context.Context) error {
	v, err := m.rt.Version(ctx)
	if err != nil {
		return fmt.Errorf("pods: runtime version: %w", err)
	}
	m.mu.Lock()
	if m.ran {
		m.mu.Unlock()
		return errors.New("pods: Run called twice")
	}
	m.ran = true
	m.runtimeName = v.RuntimeName
	m.runCtx = ctx
	for uid, pod := range m.desired {
		m.ensureWorkerLocked(uid, pod)
	}
	m.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.status.run(ctx) }()
	go func() { defer wg.Done(); m.relistLoop(ctx) }()
	<-ctx.Done()
	wg.Wait()
	m.mu.Lock()
	m.runCtx = nil
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// SetPods replaces the desired set: the full merged set of pods from every source. Pods not in it
// are stopped and removed; a new spec for a known UID reaches its worker. The first call also
// starts the clean-up of sandboxes that belong to no desired pod, so it should come once every
// source has delivered its initial pods.
func (m *Manager) SetPods(pods []*corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seeded = true
	next := make(map[string]*corev1.Pod, len(pods))
	for _, p := range pods {
		uid := p.GetMetadata().GetUid()
		if uid == "" {
			m.log.Warn("ignoring a pod without uid", zap.String("pod", podName(p)))
			continue
		}
		next[uid] = p
	}
	for uid, w := range m.workers {
		if _, ok := next[uid]; !ok {
			w.remove()
		}
	}
	m.desired = next
	for uid, pod := range next {
		if w, ok := m.workers[uid]; ok {
			w.update(pod)
			continue
		}
		m.ensureWorkerLocked(uid, pod)
	}
}

// ensureWorkerLocked starts the worker of pod if Run runs and it has none.
func (m *Manager) ensureWorkerLocked(uid string, pod *corev1.Pod) *worker {
	if w, ok := m.workers[uid]; ok {
		return w
	}
	if m.runCtx == nil || m.runCtx.Err() != nil || m.rejectLocked(pod) {
		return nil
	}
	w := newWorker(m, pod)
	m.workers[uid] = w
	m.wg.Add(1)
	ctx := m.runCtx // Run clears the field under the lock when it returns
	go func() {
		defer m.wg.Done()
		w.run(ctx)
	}()
	return w
}

// adoptOrphanLocked starts a worker that stops and removes the runtime's sandboxes of a pod nobody
// wants any more (it ran before a restart and was deleted meanwhile).
func (m *Manager) adoptOrphanLocked(sb *cri.PodSandbox) {
	uid := sb.Labels[cri.LabelPodUID]
	if uid == "" || !m.seeded || (m.cfg.SourcesReady != nil && !m.cfg.SourcesReady()) {
		return
	}
	if _, ok := m.workers[uid]; ok {
		return
	}
	if _, ok := m.desired[uid]; ok {
		return
	}
	pod := orphanPod(sb)
	if w := m.ensureWorkerLocked(uid, pod); w != nil {
		w.remove()
	}
}

// forget drops a worker whose pod left the desired set and has been cleaned up.
func (m *Manager) forget(w *worker) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.workers[w.uid] == w {
		delete(m.workers, w.uid)
	}
	m.status.forget(w.uid)
}

// wake makes the worker of uid sync soon.
func (m *Manager) wake(uid string) {
	m.mu.Lock()
	w := m.workers[uid]
	m.mu.Unlock()
	if w != nil {
		w.poke()
	}
}

// MirrorCreated tells the manager that the mirror pod of the static pod staticUID was created
// anew: its status is written to it even though it did not change.
func (m *Manager) MirrorCreated(staticUID string) { m.status.rewrite(staticUID) }

// Pods returns the desired pods with the status their workers last computed (the pod's own status
// until a worker has synced). The pods are copies.
func (m *Manager) Pods() []*corev1.Pod {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*corev1.Pod, 0, len(m.desired))
	for uid, p := range m.desired {
		c := p.CloneVT()
		if w, ok := m.workers[uid]; ok {
			if st := w.currentStatus(); st != nil {
				c.Status = st
			}
		}
		out = append(out, c)
	}
	return out
}

// LogRef locates one run of a container: its log file, and its ID in the runtime (to tell whether
// it still runs, and so whether a follower should wait for more).
type LogRef struct {
	Path        string
	ContainerID string
}

// ContainerLog locates the log of the current (or, with previous, the last ended) run of a
// container of the pod namespace/name. It fails (wrapping ErrNotFound) for an unknown pod or
// container, a container that has not run yet, or a previous run that does not exist.
func (m *Manager) ContainerLog(namespace, pod, container string, previous bool) (LogRef, error) {
	m.mu.Lock()
	var w *worker
	for uid, p := range m.desired {
		if p.GetMetadata().GetNamespace() == namespace && p.GetMetadata().GetName() == pod {
			w = m.workers[uid]
			break
		}
	}
	m.mu.Unlock()
	if w == nil {
		return LogRef{}, fmt.Errorf("pod %s/%s: %w", namespace, pod, ErrNotFound)
	}
	return w.logRef(container, previous)
}

// ContainerLogPath is ContainerLog's file alone.
func (m *Manager) ContainerLogPath(namespace, pod, container string, previous bool) (string, error) {
	ref, err := m.ContainerLog(namespace, pod, container, previous)
	return ref.Path, err
}
