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

// Eviction is how the kubelet ends a pod on its own initiative (a node shutdown): its containers
// get Grace between SIGTERM and SIGKILL (never more than the pod's own grace period), then the pod
// is recorded as Failed with Reason and Message and a DisruptionTarget condition.
type Eviction struct {
	Grace   time.Duration
	Reason  string
	Message string
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
	st.Conditions = append(st.Conditions, condition(st, CondDisruptionTarget, true, ReasonTerminationByKubelet, ev.Message, now))
	w.publish(pod, st)
	w.terminated = true
	if err := w.m.status.flush(ctx, w.uid); err != nil && !errors.Is(err, errNoMirror) {
		// The status manager retries; the eviction itself is complete.
		w.m.log.Warn("write status of an evicted pod", zap.String("pod", podName(pod)), zap.Error(err))
	}
	close(ev.done)
	return syncResult{}
}
