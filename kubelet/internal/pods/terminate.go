package pods

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// minGracePeriod is the least time a container gets after its preStop hook, as in Kubernetes.
const minGracePeriod = 2 * time.Second

// gracePeriod is how long the pod's containers get between SIGTERM and SIGKILL: the deletion's
// grace period, else the spec's terminationGracePeriodSeconds, else DefaultGracePeriod.
func gracePeriod(pod *corev1.Pod) time.Duration {
	if md := pod.GetMetadata(); md != nil && md.DeletionGracePeriodSeconds != nil && md.GetDeletionTimestamp() != nil {
		return time.Duration(max(*md.DeletionGracePeriodSeconds, 0)) * time.Second
	}
	if spec := pod.GetSpec(); spec != nil && spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(max(*spec.TerminationGracePeriodSeconds, 0)) * time.Second
	}
	return DefaultGracePeriod
}

// hookTimeout bounds a postStart hook: the pod's grace period, as a preStop hook gets.
func hookTimeout(pod *corev1.Pod) time.Duration {
	return max(gracePeriod(pod), minGracePeriod)
}

// stopContainer runs c's preStop hook (if the container runs) and stops it with what is left of
// grace. c is nil for a container the spec no longer names.
func (w *worker) stopContainer(ctx context.Context, pod *corev1.Pod, c *corev1.Container, cs *cri.ContainerStatus, grace time.Duration) {
	name := cs.Metadata.Name
	w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "Killing", "Stopping container %s", name)
	if h := c.GetLifecycle().GetPreStop(); h != nil && cs.State == cri.ContainerRunning && grace > 0 {
		start := w.m.clock.Now()
		if msg, err := w.runHook(ctx, pod, c, cs.ID, w.sandboxIP(), h, grace); err != nil {
			w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "FailedPreStopHook", "PreStopHook failed: %s", msg)
		}
		grace = max(grace-w.m.clock.Since(start), minGracePeriod)
	}
	if err := w.m.rt.StopContainer(ctx, cs.ID, grace); err != nil {
		w.m.log.Warn("stop container", zap.String("pod", podName(pod)), zap.String("container", name), zap.Error(err))
	}
}

func (w *worker) sandboxIP() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if sb := w.observed.readySandbox(); sb != nil {
		return sb.IP
	}
	return ""
}

// stopContainers runs the preStop hooks and stops every active container of the pod at once, each
// with grace, and returns when all have stopped.
func (w *worker) stopContainers(ctx context.Context, pod *corev1.Pod, state *podState, grace time.Duration) {
	specs := map[string]*corev1.Container{}
	for _, c := range append(append([]*corev1.Container{}, pod.GetSpec().GetInitContainers()...), pod.GetSpec().GetContainers()...) {
		specs[c.GetName()] = c
	}
	var wg sync.WaitGroup
	for _, cs := range state.active() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.stopContainer(ctx, pod, specs[cs.Metadata.Name], cs, grace)
		}()
	}
	wg.Wait()
}

// stopSandboxes stops the pod's ready sandboxes once its containers have been stopped, and returns
// the runtime's view afterwards; nil (retry later) if a call failed or a container still runs.
func (w *worker) stopSandboxes(ctx context.Context, pod *corev1.Pod, state *podState) *podState {
	for _, sb := range state.sandboxes {
		if sb.State == cri.SandboxReady {
			if err := w.m.rt.StopPodSandbox(ctx, sb.ID); err != nil {
				w.m.log.Warn("stop sandbox", zap.String("pod", podName(pod)), zap.Error(err))
				return nil
			}
		}
	}
	final, err := w.observe(ctx)
	if err != nil {
		return nil
	}
	w.setObserved(final)
	if len(final.active()) > 0 {
		return nil
	}
	return final
}

// terminate stops the pod: preStop hooks and graceful stops of every container at once, then the
// sandboxes. A pod deleted through the API then gets its final status and its deletion confirmed;
// a pod that left the desired set has its sandboxes removed and its worker ends.
func (w *worker) terminate(ctx context.Context, pod *corev1.Pod, state *podState, removed bool) syncResult {
	w.probes.stopAll()
	w.stopContainers(ctx, pod, state, gracePeriod(pod))
	if ctx.Err() != nil {
		return syncResult{}
	}
	final := w.stopSandboxes(ctx, pod, state)
	if final == nil {
		return syncResult{after: retryAfterError}
	}
	if !isOrphan(pod) {
		st := w.computeStatus(pod, final)
		if pod.GetMetadata().GetDeletionTimestamp() != nil && st.GetPhase() != PhaseSucceeded && st.GetPhase() != PhaseFailed {
			// A deleted pod ends in a final phase, as in Kubernetes since 1.27.
			st.Phase = PhaseFailed
			if allSucceeded(st) {
				st.Phase = PhaseSucceeded
			}
		}
		w.publish(pod, st)
	}
	if pod.GetMetadata().GetDeletionTimestamp() != nil && isAPIPod(pod) {
		if err := w.confirmDeletion(ctx, pod); err != nil {
			w.m.log.Warn("confirm pod deletion", zap.String("pod", podName(pod)), zap.Error(err))
			return syncResult{after: retryAfterError}
		}
	}
	if removed || pod.GetMetadata().GetDeletionTimestamp() != nil {
		for _, sb := range final.sandboxes {
			if err := w.m.rt.RemovePodSandbox(ctx, sb.ID); err != nil {
				w.m.log.Warn("remove sandbox", zap.String("pod", podName(pod)), zap.Error(err))
				return syncResult{after: retryAfterError}
			}
		}
	}
	w.m.backoff.forget(w.uid + "/")
	w.terminated = true
	if removed {
		return syncResult{done: true}
	}
	return syncResult{}
}

// confirmDeletion writes the pod's final status and deletes the API object for good: zero grace,
// guarded by its UID so that a new pod of the same name is never touched.
func (w *worker) confirmDeletion(ctx context.Context, pod *corev1.Pod) error {
	c := w.m.cfg.Client
	if c == nil {
		return nil
	}
	if err := w.m.status.flush(ctx, w.uid); err != nil && !errors.Is(err, errNoMirror) {
		return err
	}
	zero := int64(0)
	err := c.Pods(pod.GetMetadata().GetNamespace()).Delete(ctx, pod.GetMetadata().GetName(), client.DeleteOptions{
		GracePeriodSeconds: &zero, PreconditionUID: w.uid,
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // already gone, or the name now belongs to another pod
	}
	return err
}

// isAPIPod reports whether pod came from the API server rather than a file or URL.
func isAPIPod(pod *corev1.Pod) bool {
	src := pod.GetMetadata().GetAnnotations()[ConfigSourceAnnotation]
	return src == "" || src == SourceAPI
}

// orphanAnnotation marks the stand-in pod of a sandbox nobody wants.
const orphanAnnotation = "keelson.dev/orphaned-sandbox"

func isOrphan(pod *corev1.Pod) bool {
	_, ok := pod.GetMetadata().GetAnnotations()[orphanAnnotation]
	return ok
}

// orphanPod is a stand-in for the pod of a sandbox found in the runtime that no source wants.
func orphanPod(sb *cri.PodSandbox) *corev1.Pod {
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			Name: sb.Metadata.Name, Namespace: sb.Metadata.Namespace, Uid: sb.Labels[cri.LabelPodUID],
			Annotations: map[string]string{orphanAnnotation: "true", ConfigSourceAnnotation: "orphan"},
		},
		Spec: &corev1.PodSpec{},
	}
}

// allSucceeded reports whether every app container ended with exit code 0.
func allSucceeded(st *corev1.PodStatus) bool {
	for _, cs := range st.GetContainerStatuses() {
		if t := cs.GetState().GetTerminated(); t == nil || t.GetExitCode() != 0 {
			return false
		}
	}
	return true
}
