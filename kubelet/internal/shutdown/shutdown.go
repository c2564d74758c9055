// Package shutdown is the kubelet's graceful node shutdown, as Kubernetes' node shutdown manager:
// once the node is told to shut down it is marked not ready, admits no new pod, and terminates
// its regular pods first and its critical pods last, each group within its share of the shutdown
// grace period, recording every terminated pod as Failed with reason Terminated.
//
// The grace period (--shutdown-grace-period) is the whole time the node takes; the critical pods'
// period (--shutdown-grace-period-critical-pods) is its tail. Regular pods get the difference.
package shutdown

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/clock"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Reasons and messages Kubernetes records for a node shutdown.
const (
	// PodReason is a terminated (or refused) pod's status.reason.
	PodReason = "Terminated"
	// PodMessage is a terminated pod's status.message.
	PodMessage = "Pod was terminated in response to imminent node shutdown."
	// RejectMessage is the status.message of a pod refused while the node shuts down.
	RejectMessage = "Pod was rejected as the node is shutting down."
	// NodeMessage is the Ready condition's message while the node shuts down.
	NodeMessage = "node is shutting down"
)

// Critical pods, as Kubernetes tells them apart.
const (
	// SystemCriticalPriority is the least priority of a critical pod.
	SystemCriticalPriority = 2000000000
	// CriticalPodAnnotation marks a pod critical whatever its priority.
	CriticalPodAnnotation = "scheduler.alpha.kubernetes.io/critical-pod"
)

// IsCritical reports whether pod is terminated in the critical pods' period: its priority class is
// system-cluster-critical or system-node-critical, its priority is at least
// SystemCriticalPriority, or it carries CriticalPodAnnotation.
func IsCritical(pod *corev1.Pod) bool {
	switch pod.GetSpec().GetPriorityClassName() {
	case "system-cluster-critical", "system-node-critical":
		return true
	}
	if p := pod.GetSpec().Priority; p != nil && *p >= SystemCriticalPriority {
		return true
	}
	_, ok := pod.GetMetadata().GetAnnotations()[CriticalPodAnnotation]
	return ok
}

// Pods is the node's pod workers as the shutdown sees them.
type Pods interface {
	// Pods returns the pods of the node with their current status.
	Pods() []*corev1.Pod
	// KillPod stops pod, giving its containers grace between SIGTERM and SIGKILL, records it as
	// Failed with PodReason and PodMessage, and returns once it has stopped or ctx ends.
	KillPod(ctx context.Context, pod *corev1.Pod, grace time.Duration) error
	// StopAdmitting refuses every pod that is not running yet.
	StopAdmitting()
}

// Node is the node's status as the shutdown changes it.
type Node interface {
	// ShuttingDown marks the node not ready with NodeMessage and posts the status.
	ShuttingDown(ctx context.Context) error
}

// Config is a Manager's configuration.
type Config struct {
	// GracePeriod is the whole time the shutdown takes; 0 disables graceful shutdown.
	GracePeriod time.Duration
	// CriticalPodsGracePeriod is the last part of GracePeriod, given to critical pods.
	CriticalPodsGracePeriod time.Duration
	// Clock times the periods; nil: the wall clock.
	Clock clock.Clock
	// Logger logs; nil: no logging.
	Logger *zap.Logger
}

// Validate reports a negative period or a critical period longer than the whole.
func (c Config) Validate() error {
	var errs []error
	if c.GracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-grace-period: must not be negative, got %s", c.GracePeriod))
	}
	if c.CriticalPodsGracePeriod < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-grace-period-critical-pods: must not be negative, got %s", c.CriticalPodsGracePeriod))
	}
	if c.CriticalPodsGracePeriod > c.GracePeriod {
		errs = append(errs, fmt.Errorf("--shutdown-grace-period-critical-pods (%s) must not exceed --shutdown-grace-period (%s)",
			c.CriticalPodsGracePeriod, c.GracePeriod))
	}
	return errors.Join(errs...)
}

// Enabled reports whether a shutdown terminates pods; with both periods 0 the kubelet stops
// and leaves its pods running, to be adopted by the next kubelet.
func (c Config) Enabled() bool { return c.GracePeriod > 0 }

// Manager carries out one node shutdown.
type Manager struct {
	cfg   Config
	pods  Pods
	node  Node
	clock clock.Clock
	lg    *zap.Logger

	once sync.Once
	done chan struct{}
	err  error
}

// New returns a Manager for cfg over the node's pods and status. It starts nothing.
func New(cfg Config, pods Pods, node Node) *Manager {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Manager{cfg: cfg, pods: pods, node: node, clock: cfg.Clock, lg: cfg.Logger, done: make(chan struct{})}
}

// Shutdown shuts the node down: it marks the node not ready and stops admitting pods, then
// terminates the regular pods, waiting for them at most GracePeriod-CriticalPodsGracePeriod, then
// the critical pods, waiting at most CriticalPodsGracePeriod. Each pod's grace is its own
// termination grace period, capped at its group's period. Only the first call does the work;
// later ones wait for it. It returns once every pod has stopped or its period ran out (an error
// then names the pods still stopping), or when ctx ends.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.once.Do(func() {
		go func() {
			defer close(m.done)
			m.err = m.shutdown(ctx)
		}()
	})
	select {
	case <-m.done:
		return m.err
	case <-ctx.Done():
		return fmt.Errorf("node shutdown: %w", ctx.Err())
	}
}

func (m *Manager) shutdown(ctx context.Context) error {
	m.lg.Info("node shutting down", zap.Duration("grace-period", m.cfg.GracePeriod),
		zap.Duration("critical-pods-grace-period", m.cfg.CriticalPodsGracePeriod))
	m.pods.StopAdmitting()
	var errs []error
	if err := m.node.ShuttingDown(ctx); err != nil {
		// The pods are terminated all the same: the node is going away.
		errs = append(errs, fmt.Errorf("mark node not ready: %w", err))
	}
	var regular, critical []*corev1.Pod
	for _, p := range m.pods.Pods() {
		if ph := p.GetStatus().GetPhase(); ph == "Succeeded" || ph == "Failed" {
			continue
		}
		if IsCritical(p) {
			critical = append(critical, p)
		} else {
			regular = append(regular, p)
		}
	}
	errs = append(errs,
		m.killGroup(ctx, "regular", regular, m.cfg.GracePeriod-m.cfg.CriticalPodsGracePeriod),
		m.killGroup(ctx, "critical", critical, m.cfg.CriticalPodsGracePeriod))
	m.lg.Info("node shutdown done")
	return errors.Join(errs...)
}

// killGroup kills pods at once, each with its grace capped at period, and waits for them at most
// period (plus nothing: a pod that outlives its group's period is left to finish on its own).
func (m *Manager) killGroup(ctx context.Context, group string, pods []*corev1.Pod, period time.Duration) error {
	if len(pods) == 0 {
		return nil
	}
	m.lg.Info("terminating pods", zap.String("group", group), zap.Int("pods", len(pods)), zap.Duration("period", period))
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	results := make(chan error, len(pods))
	for _, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.pods.KillPod(gctx, p, min(podGrace(p), period)); err != nil {
				results <- fmt.Errorf("pod %s/%s: %w", p.GetMetadata().GetNamespace(), p.GetMetadata().GetName(), err)
			}
		}()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	t := m.clock.NewTimer(period)
	defer t.Stop()
	var err error
	select {
	case <-all:
	case <-t.C():
		err = fmt.Errorf("%s pods still stopping after %s", group, period)
	case <-ctx.Done():
		err = ctx.Err()
	}
	// Killing pods outlive neither their group's period nor the call: cancel them and wait.
	cancel()
	<-all
	close(results)
	errs := []error{err}
	for e := range results {
		if !errors.Is(e, context.Canceled) {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// defaultPodGrace is the grace period of a pod whose spec sets none, as in Kubernetes.
const defaultPodGrace = 30 * time.Second

// podGrace is the pod's termination grace period.
func podGrace(pod *corev1.Pod) time.Duration {
	if g := pod.GetSpec().TerminationGracePeriodSeconds; g != nil {
		return time.Duration(max(*g, 0)) * time.Second
	}
	return defaultPodGrace
}
