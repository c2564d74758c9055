package pods

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Condition and reason a pod the kubelet itself terminates carries, as Kubernetes spells them.
const (
	CondDisruptionTarget       = "DisruptionTarget"
	ReasonTerminationByKubelet = "TerminationByKubelet"
)

// Eviction is how the kubelet ends a pod on its own initiative (a node shutdown, an exceeded
// activeDeadlineSeconds): its containers get Grace between SIGTERM and SIGKILL (never more than
// the pod's own grace period), then the pod is recorded as Failed with Reason and Message and,
// unless NoDisruptionCondition, a DisruptionTarget condition.
type Eviction struct {
	Grace   time.Duration
	Reason  string
	Message string
	// NoDisruptionCondition leaves out the DisruptionTarget condition, for a pod that ends by its
	// own spec (activeDeadlineSeconds) rather than by a disruption.
	NoDisruptionCondition bool
}

// eviction is an Eviction handed to a worker; done is closed once the pod has stopped and its
// final status has been handed to the status manager (and written, when the API server answers).
type eviction struct {
	Eviction
	done chan struct{}
}

// ErrPodNotRunning is returned (wrapped) by Evict for a pod the manager does not run.
var ErrPodNotRunning = errors.New("pod not running on this node")

// Evict stops the pod uid as ev says and waits until it has stopped and its final status is
// recorded, or ctx ends. A pod that already finished keeps its status. Evicting a pod twice waits
// for the first eviction.
func (m *Manager) Evict(ctx context.Context, uid string, ev Eviction) error {
	m.mu.Lock()
	w := m.workers[uid]
	m.mu.Unlock()
	if w == nil {
		return fmt.Errorf("evict pod %s: %w", uid, ErrPodNotRunning)
	}
	w.mu.Lock()
	if w.evicting == nil {
		w.evicting = &eviction{Eviction: ev, done: make(chan struct{})}
	}
	done := w.evicting.done
	w.mu.Unlock()
	w.poke()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("evict pod %s: %w", uid, ctx.Err())
	}
}

// StopAdmitting makes the manager refuse every pod it does not run yet: such a pod gets no worker
// and is recorded as Failed with reason and message, as Kubernetes' admission rejects pods on a
// node that shuts down. Pods already running are not touched.
func (m *Manager) StopAdmitting(reason, message string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rejectReason, m.rejectMessage = reason, message
	if m.rejectReason == "" {
		m.rejectReason = "Rejected"
	}
}

// rejectLocked records pod as refused if the manager no longer admits pods, and reports whether
// it did.
func (m *Manager) rejectLocked(pod *corev1.Pod) bool {
	if m.rejectReason == "" || isOrphan(pod) {
		return false
	}
	st := pod.GetStatus().CloneVT()
	if st == nil {
		st = &corev1.PodStatus{}
	}
	if st.GetPhase() == PhaseSucceeded || st.GetPhase() == PhaseFailed {
		return true
	}
	st.Phase, st.Reason, st.Message = PhaseFailed, m.rejectReason, m.rejectMessage
	m.status.set(pod, st)
	return true
}

// pendingEviction returns the worker's eviction request, nil if none.
func (w *worker) pendingEviction() *eviction {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.evicting
}

// evict stops every container with the eviction's grace (bounded by the pod's own), stops the
// sandboxes and records the pod as Failed with the eviction's reason and a DisruptionTarget
// condition. The sandboxes stay in the runtime, as after any failure, until the pod leaves the
// desired set.
func (w *worker) evict(ctx context.Context, pod *corev1.Pod, state *podState, ev *eviction) syncResult {
	w.probes.stopAll()
	grace := min(max(ev.Grace, 0), gracePeriod(pod))
	w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, ev.Reason, "%s", ev.Message)
	w.stopContainers(ctx, pod, state, grace)
	if ctx.Err() != nil {
		return syncResult{}
	}
	final := w.stopSandboxes(ctx, pod, state)
	if final == nil {
		return syncResult{after: retryAfterError}
	}
	st := w.computeStatus(pod, final)
	now := w.m.clock.Now()
	st.Phase, st.Reason, st.Message = PhaseFailed, ev.Reason, ev.Message
	if !ev.NoDisruptionCondition {
		st.Conditions = append(st.Conditions, condition(st, CondDisruptionTarget, true, ReasonTerminationByKubelet, ev.Message, now))
	}
	w.publish(pod, st)
	w.terminated = true
	if err := w.m.status.flush(ctx, w.uid); err != nil && !errors.Is(err, errNoMirror) {
		// The status manager retries; the eviction itself is complete.
		w.m.log.Warn("write status of an evicted pod", zap.String("pod", podName(pod)), zap.Error(err))
	}
	close(ev.done)
	return syncResult{}
}

// Reason and message of a pod that ran past its spec.activeDeadlineSeconds, as Kubernetes'.
const (
	ReasonDeadlineExceeded  = "DeadlineExceeded"
	MessageDeadlineExceeded = "Pod was active on the node longer than the specified deadline"
)

// deadlineLeft returns how long pod may still be active under its activeDeadlineSeconds, counted
// from its status.startTime; ok is false when it has no deadline or has not started.
func (w *worker) deadlineLeft(pod *corev1.Pod) (left time.Duration, ok bool) {
	if pod.GetSpec().ActiveDeadlineSeconds == nil {
		return 0, false
	}
	w.mu.Lock()
	start := w.status.GetStartTime()
	w.mu.Unlock()
	if start == nil {
		start = pod.GetStatus().GetStartTime()
	}
	if start == nil {
		return 0, false
	}
	deadline := start.AsTime().Add(time.Duration(pod.GetSpec().GetActiveDeadlineSeconds()) * time.Second)
	return deadline.Sub(w.m.clock.Now()), true
}

// deadlineEviction asks the worker to end its pod for exceeding its deadline, unless another
// eviction came first, and returns the eviction to carry out.
func (w *worker) deadlineEviction(pod *corev1.Pod) *eviction {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.evicting == nil {
		w.evicting = &eviction{Eviction: Eviction{
			Grace: gracePeriod(pod), Reason: ReasonDeadlineExceeded, Message: MessageDeadlineExceeded, NoDisruptionCondition: true,
		}, done: make(chan struct{})}
		w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, ReasonDeadlineExceeded, "%s", MessageDeadlineExceeded)
	}
	return w.evicting
}
