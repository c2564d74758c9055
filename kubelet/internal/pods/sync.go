package pods

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/events"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Restart policies.
const (
	RestartAlways    = "Always"
	RestartOnFailure = "OnFailure"
	RestartNever     = "Never"
)

func restartPolicy(pod *corev1.Pod) string {
	if p := pod.GetSpec().GetRestartPolicy(); p != "" {
		return p
	}
	return RestartAlways
}

// shouldRestart reports whether a container that exited with code is started again under policy.
func shouldRestart(policy string, code int32) bool {
	switch policy {
	case RestartNever:
		return false
	case RestartOnFailure:
		return code != 0
	default:
		return true
	}
}

// syncRunning moves a live pod one step toward its spec: a sandbox, then each init container to
// success in order, then every app container running, restarting what exited as the policy says.
func (w *worker) syncRunning(ctx context.Context, pod *corev1.Pod, state *podState) syncResult {
	sb := state.readySandbox()
	if sb == nil {
		return w.makeSandbox(ctx, pod, state)
	}
	sbCfg := w.m.sandboxConfig(pod, sb.Metadata.Attempt)
	policy := restartPolicy(pod)
	var after time.Duration
	later := func(d time.Duration) {
		if d > 0 && (after == 0 || d < after) {
			after = d
		}
	}
	dirs, refresh, err := w.m.volumes.prepare(ctx, pod)
	if err != nil {
		w.volumeError(pod, state, err)
		return syncResult{after: retryAfterError}
	}
	w.dirs = dirs
	later(refresh)

	for _, c := range pod.GetSpec().GetInitContainers() {
		last := state.latest(c.GetName())
		switch {
		case last == nil:
			return w.start(ctx, pod, sb, sbCfg, c, 0)
		case last.State == cri.ContainerRunning || last.State == cri.ContainerCreated:
			return syncResult{} // the relister wakes us when it ends
		case last.State == cri.ContainerExited && last.ExitCode == 0:
			continue
		default: // failed or lost
			if policy == RestartNever {
				return syncResult{} // the pod fails
			}
			return w.restart(ctx, pod, sb, sbCfg, c, last)
		}
	}

	for _, c := range pod.GetSpec().GetContainers() {
		last := state.latest(c.GetName())
		switch {
		case last == nil:
			res := w.start(ctx, pod, sb, sbCfg, c, 0)
			if res.again {
				return res
			}
			later(res.after)
		case last.State == cri.ContainerRunning:
			w.probes.ensure(pod, c, last)
			if msg, failed := w.probes.livenessFailed(last.ID); failed {
				w.killForLiveness(ctx, pod, c, last, msg)
				return syncResult{again: true}
			}
		case last.State == cri.ContainerCreated:
			// Created but never started (the kubelet stopped between the two calls): start it.
			if err := w.m.rt.StartContainer(ctx, last.ID); err != nil {
				w.waiting[c.GetName()] = waitReason{ReasonRunContainerError, err.Error()}
				later(retryAfterError)
				continue
			}
			return syncResult{again: true}
		default:
			if !shouldRestart(policy, last.ExitCode) {
				continue
			}
			res := w.restart(ctx, pod, sb, sbCfg, c, last)
			if res.again {
				return res
			}
			later(res.after)
		}
	}
	w.probes.retain(state)
	return syncResult{after: after}
}

// makeSandbox stops what still runs in the pod's old sandboxes and makes a new one.
func (w *worker) makeSandbox(ctx context.Context, pod *corev1.Pod, state *podState) syncResult {
	for _, c := range state.active() {
		if err := w.m.rt.StopContainer(ctx, c.ID, 0); err != nil {
			w.m.log.Warn("stop container of a dead sandbox", zap.String("pod", podName(pod)), zap.Error(err))
			return syncResult{after: retryAfterError}
		}
	}
	var attempt uint32
	if len(state.sandboxes) > 0 {
		attempt = state.sandboxes[0].Metadata.Attempt + 1
		if err := w.m.rt.StopPodSandbox(ctx, state.sandboxes[0].ID); err != nil {
			w.m.log.Warn("stop dead sandbox", zap.String("pod", podName(pod)), zap.Error(err))
			return syncResult{after: retryAfterError}
		}
		w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
	}
	if _, err := w.m.rt.RunPodSandbox(ctx, w.m.sandboxConfig(pod, attempt)); err != nil {
		w.m.log.Warn("run sandbox", zap.String("pod", podName(pod)), zap.Error(err))
		w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return syncResult{after: retryAfterError}
	}
	return syncResult{again: true}
}

// restart starts c again after its run last ended, unless the crash-loop backoff holds it back.
func (w *worker) restart(ctx context.Context, pod *corev1.Pod, sb *cri.PodSandbox, sbCfg *cri.PodSandboxConfig, c *corev1.Container, last *cri.ContainerStatus) syncResult {
	key := w.uid + "/" + c.GetName()
	if remaining, delay := w.m.backoff.wait(key, last.FinishedAt); remaining > 0 {
		msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", delay, c.GetName(),
			pod.GetMetadata().GetName(), pod.GetMetadata().GetNamespace(), w.uid)
		if prev := w.waiting[c.GetName()]; prev.reason != ReasonCrashLoopBackOff {
			w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "BackOff", "Back-off restarting failed container %s in pod %s", c.GetName(), podName(pod))
		}
		w.waiting[c.GetName()] = waitReason{ReasonCrashLoopBackOff, msg}
		return syncResult{after: remaining}
	}
	w.m.backoff.next(key, last.FinishedAt)
	return w.start(ctx, pod, sb, sbCfg, c, last.Metadata.Attempt+1)
}

// start creates and starts run attempt of c, then runs its postStart hook. A failure leaves the
// container waiting with the reason Kubernetes gives.
func (w *worker) start(ctx context.Context, pod *corev1.Pod, sb *cri.PodSandbox, sbCfg *cri.PodSandboxConfig, c *corev1.Container, attempt uint32) syncResult {
	name := c.GetName()
	env, err := w.m.containerEnv(ctx, pod, c, sb.IP)
	if err != nil {
		w.configError(pod, c, err)
		return syncResult{after: retryAfterError}
	}
	command, args := expandCommand(c, env)
	cfg := containerConfig(pod, c, attempt, env, command, args)
	cfg.Mounts = containerMounts(c, w.dirs)
	id, err := w.m.rt.CreateContainer(ctx, sb.ID, cfg, sbCfg)
	if err != nil {
		w.configError(pod, c, err)
		return syncResult{after: retryAfterError}
	}
	w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "Created", "Created container %s", name)
	if err := w.m.rt.StartContainer(ctx, id); err != nil {
		w.waiting[name] = waitReason{ReasonRunContainerError, err.Error()}
		w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "Failed", "Error: %v", err)
		return syncResult{again: true}
	}
	delete(w.waiting, name)
	w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "Started", "Started container %s", name)
	if h := c.GetLifecycle().GetPostStart(); h != nil {
		if msg, err := w.runHook(ctx, pod, c, id, sb.IP, h, hookTimeout(pod)); err != nil {
			w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "FailedPostStartHook", "PostStartHook failed: %s", msg)
			w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "Killing", "FailedPostStartHook")
			if err := w.m.rt.StopContainer(ctx, id, gracePeriod(pod)); err != nil {
				w.m.log.Warn("stop container after its postStart hook failed", zap.String("pod", podName(pod)), zap.Error(err))
			}
		}
	}
	w.pruneRuns(ctx, name)
	return syncResult{again: true}
}

// volumeError leaves every container that never ran waiting with the volume's error, as
// Kubernetes reports a volume that cannot be mounted.
func (w *worker) volumeError(pod *corev1.Pod, state *podState, err error) {
	for _, c := range append(append([]*corev1.Container{}, pod.GetSpec().GetInitContainers()...), pod.GetSpec().GetContainers()...) {
		if state.latest(c.GetName()) == nil {
			w.waiting[c.GetName()] = waitReason{ReasonCreateContainerConfigError, err.Error()}
		}
	}
	w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "FailedMount", "MountVolume.SetUp failed: %v", err)
}

// configError leaves c waiting with CreateContainerConfigError and the error's message.
func (w *worker) configError(pod *corev1.Pod, c *corev1.Container, err error) {
	w.waiting[c.GetName()] = waitReason{ReasonCreateContainerConfigError, err.Error()}
	w.m.cfg.Recorder.Eventf(pod, events.TypeWarning, "Failed", "Error: %v", err)
}

// keptRuns is how many runs of a container stay in the runtime: the current one and the previous,
// whose log `--previous` reads.
const keptRuns = 2

// pruneRuns removes the exited runs of a container beyond the newest keptRuns.
func (w *worker) pruneRuns(ctx context.Context, name string) {
	w.mu.Lock()
	runs := w.observed.containers[name]
	w.mu.Unlock()
	// The run just started is not in runs yet, so keep one fewer of the observed ones.
	for i := keptRuns - 1; i < len(runs); i++ {
		if runs[i].State != cri.ContainerExited {
			continue
		}
		if err := w.m.rt.RemoveContainer(ctx, runs[i].ID); err != nil {
			w.m.log.Warn("remove old container", zap.String("container", runs[i].ID), zap.Error(err))
		}
	}
}

// killForLiveness stops a container whose liveness probe failed; the next sync restarts it as the
// restart policy says.
func (w *worker) killForLiveness(ctx context.Context, pod *corev1.Pod, c *corev1.Container, cs *cri.ContainerStatus, msg string) {
	w.m.cfg.Recorder.Eventf(pod, events.TypeNormal, "Killing", "%s, will be restarted", msg)
	grace := gracePeriod(pod)
	if p := c.GetLivenessProbe(); p != nil && p.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	w.m.log.Info("liveness probe failed", zap.String("pod", podName(pod)), zap.String("container", c.GetName()), zap.String("message", msg))
	w.stopContainer(ctx, pod, c, cs, grace)
	w.probes.drop(cs.ID)
}
