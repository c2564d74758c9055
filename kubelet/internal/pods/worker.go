package pods

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// waitReason is why a container waits instead of running, as its status shows it.
type waitReason struct {
	reason, message string
}

// Waiting reasons the kubelet reports, spelled as Kubernetes does.
const (
	ReasonContainerCreating          = "ContainerCreating"
	ReasonPodInitializing            = "PodInitializing"
	ReasonCrashLoopBackOff           = "CrashLoopBackOff"
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	ReasonRunContainerError          = "RunContainerError"
)

// worker owns one pod. Its goroutine alone touches the fields below the line; the mutex guards
// what other goroutines read or write.
type worker struct {
	m    *Manager
	uid  string
	wake chan struct{} // buffered 1: a pending sync request

	mu       sync.Mutex
	pod      *corev1.Pod       // the latest desired pod
	removed  bool              // the pod left the desired set
	status   *corev1.PodStatus // the latest computed status, nil before the first sync
	observed *podState         // the runtime's view at the latest sync
	evicting *eviction         // set by Manager.Evict

	// ---- worker goroutine only ----
	exited     map[string]*cri.ContainerStatus // statuses of exited containers, which never change
	waiting    map[string]waitReason           // by container name
	probes     *probeSet
	terminated bool              // everything stopped; nothing more to do until the pod leaves the set
	firstSeen  time.Time         // when the worker started, for start latency of pods without a creation time
	started    bool              // start latency recorded
	evicted    bool              // the eviction request was carried out (its done channel is closed)
	dirs       map[string]string // host directories of the pod's projected volumes, by volume name
}

func newWorker(m *Manager, pod *corev1.Pod) *worker {
	w := &worker{
		m: m, uid: pod.GetMetadata().GetUid(), wake: make(chan struct{}, 1), pod: pod,
		exited: map[string]*cri.ContainerStatus{}, waiting: map[string]waitReason{},
		firstSeen: m.clock.Now(),
	}
	w.probes = newProbeSet(w)
	w.wake <- struct{}{}
	return w
}

// update hands the worker its pod as the desired set now has it, and asks for a sync if the pod
// changed. The set is handed over whole at every change of any pod of the node: poking every
// worker each time made each pod's event cost a sync of every pod.
func (w *worker) update(pod *corev1.Pod) {
	w.mu.Lock()
	changed := w.removed || (w.pod != pod && !proto.Equal(w.pod, pod))
	w.pod = pod
	w.mu.Unlock()
	if changed {
		w.poke()
	}
}

// remove tells the worker its pod left the desired set.
func (w *worker) remove() {
	w.mu.Lock()
	w.removed = true
	w.mu.Unlock()
	w.poke()
}

// poke asks for a sync without blocking; requests coalesce.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) snapshot() (*corev1.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.removed
}

func (w *worker) currentStatus() *corev1.PodStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == nil {
		return nil
	}
	return w.status.CloneVT()
}

// run syncs until ctx ends or the pod has been removed for good. A sync that acted is followed by
// another at once (the runtime changed); one that waits for a deadline arms a timer for it.
func (w *worker) run(ctx context.Context) {
	w.probes.bind(ctx)
	defer w.probes.stopAll()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		for {
			res := w.sync(ctx)
			if res.done {
				w.m.forget(w)
				return
			}
			if ctx.Err() != nil {
				return
			}
			if res.again {
				continue
			}
			if res.after <= 0 {
				break
			}
			t := w.m.clock.NewTimer(res.after)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-w.wake:
			case <-t.C():
			}
			t.Stop()
		}
	}
}

// syncResult says what the worker does next.
type syncResult struct {
	again bool          // acted: sync again at once
	after time.Duration // > 0: sync again after this long at the latest
	done  bool          // the pod is gone: the worker ends
}

// retryAfterError is how long a worker waits after a failing runtime call before it retries.
const retryAfterError = time.Second

func (w *worker) sync(ctx context.Context) syncResult {
	pod, removed := w.snapshot()
	log := w.m.log.With(zap.String("pod", podName(pod)), zap.String("uid", w.uid))
	ev := w.pendingEviction()
	if w.terminated {
		if ev != nil && !w.evicted {
			w.evicted = true
			close(ev.done) // the pod had already ended: it keeps its status
		}
		if removed {
			return w.cleanup(ctx, log)
		}
		return syncResult{}
	}
	state, err := w.observe(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("read pod from runtime", zap.Error(err))
		}
		return syncResult{after: retryAfterError}
	}
	w.setObserved(state)
	live := !removed && pod.GetMetadata().GetDeletionTimestamp() == nil
	left, hasDeadline := w.deadlineLeft(pod)
	if ph := w.currentPhase(); ev == nil && live && hasDeadline && left <= 0 && ph != PhaseSucceeded && ph != PhaseFailed {
		ev = w.deadlineEviction(pod)
	}
	if ev != nil && live {
		res := w.evict(ctx, pod, state, ev)
		w.evicted = w.terminated
		return res
	}
	if removed || pod.GetMetadata().GetDeletionTimestamp() != nil {
		return w.terminate(ctx, pod, state, removed)
	}
	if phase := w.currentPhase(); phase == PhaseSucceeded || phase == PhaseFailed {
		return w.finish(ctx, pod, state)
	}
	res := w.syncRunning(ctx, pod, state)
	if res.again {
		return res // the status comes from the next look at the runtime
	}
	st := w.computeStatus(pod, state)
	w.publish(pod, st)
	if !w.started && allRunning(pod, st) {
		w.started = true
		w.m.metrics.observeStart(pod, w.firstSeen, w.m.clock.Now())
	}
	if st.GetPhase() == PhaseSucceeded || st.GetPhase() == PhaseFailed {
		return syncResult{again: true} // stop the sandbox
	}
	if left, ok := w.deadlineLeft(pod); ok && (res.after <= 0 || left < res.after) {
		res.after = max(left, time.Millisecond) // wake at the deadline
	}
	return res
}

func (w *worker) setObserved(s *podState) {
	w.mu.Lock()
	w.observed = s
	w.mu.Unlock()
}

func (w *worker) currentPhase() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status.GetPhase()
}

// publish stores st as the pod's status and hands it to the status manager.
func (w *worker) publish(pod *corev1.Pod, st *corev1.PodStatus) {
	w.mu.Lock()
	w.status = st
	w.mu.Unlock()
	w.m.status.set(pod, st)
}

// finish stops what is left of a pod that ended (Succeeded or Failed) and keeps its status.
func (w *worker) finish(ctx context.Context, pod *corev1.Pod, state *podState) syncResult {
	w.probes.stopAll()
	for _, c := range state.active() {
		if err := w.m.rt.StopContainer(ctx, c.ID, 0); err != nil {
			w.m.log.Warn("stop container of a finished pod", zap.String("pod", podName(pod)), zap.Error(err))
			return syncResult{after: retryAfterError}
		}
	}
	for _, sb := range state.sandboxes {
		if sb.State == cri.SandboxReady {
			if err := w.m.rt.StopPodSandbox(ctx, sb.ID); err != nil {
				w.m.log.Warn("stop sandbox of a finished pod", zap.String("pod", podName(pod)), zap.Error(err))
				return syncResult{after: retryAfterError}
			}
		}
	}
	w.terminated = true
	return syncResult{}
}

// cleanup removes what is left in the runtime of a pod that finished earlier and has now left the
// desired set; its status stays as it was.
func (w *worker) cleanup(ctx context.Context, log *zap.Logger) syncResult {
	sandboxes, err := w.m.rt.ListPodSandbox(ctx, &cri.SandboxFilter{LabelSelector: map[string]string{cri.LabelPodUID: w.uid}})
	if err != nil {
		log.Warn("list sandboxes of a removed pod", zap.Error(err))
		return syncResult{after: retryAfterError}
	}
	for _, sb := range sandboxes {
		if err := w.m.rt.StopPodSandbox(ctx, sb.ID); err != nil {
			log.Warn("stop sandbox of a removed pod", zap.Error(err))
			return syncResult{after: retryAfterError}
		}
		if err := w.m.rt.RemovePodSandbox(ctx, sb.ID); err != nil {
			log.Warn("remove sandbox of a removed pod", zap.Error(err))
			return syncResult{after: retryAfterError}
		}
	}
	w.m.backoff.forget(w.uid + "/")
	if err := w.m.volumes.forget(w.uid); err != nil {
		log.Warn("remove the volumes of a removed pod", zap.Error(err))
	}
	return syncResult{done: true}
}

// logRef locates the log of the container's current or previous run, as its status names it.
func (w *worker) logRef(container string, previous bool) (LogRef, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var cs *corev1.ContainerStatus
	for _, s := range append(append([]*corev1.ContainerStatus{}, w.status.GetInitContainerStatuses()...), w.status.GetContainerStatuses()...) {
		if s.GetName() == container {
			cs = s
		}
	}
	if cs == nil {
		return LogRef{}, fmt.Errorf("container %s: %w", container, ErrNotFound)
	}
	var id string
	switch {
	case previous:
		id = cs.GetLastState().GetTerminated().GetContainerId()
	case cs.GetState().GetRunning() != nil || cs.GetState().GetTerminated() != nil:
		id = cs.GetContainerId()
	}
	if id == "" {
		what := "current"
		if previous {
			what = "previous"
		}
		return LogRef{}, fmt.Errorf("container %s has no %s run: %w", container, what, ErrNotFound)
	}
	for _, c := range w.observed.containers[container] {
		if w.m.containerID(c.ID) == id {
			return LogRef{Path: c.LogPath, ContainerID: c.ID}, nil
		}
	}
	return LogRef{}, fmt.Errorf("run %s of container %s: %w", id, container, ErrNotFound)
}

func podName(pod *corev1.Pod) string {
	return pod.GetMetadata().GetNamespace() + "/" + pod.GetMetadata().GetName()
}
