package pods

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/qos"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Pod phases.
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
)

// Pod condition types the kubelet owns, and their reasons.
const (
	CondPodScheduled    = "PodScheduled"
	CondInitialized     = "Initialized"
	CondContainersReady = "ContainersReady"
	CondReady           = "Ready"

	ReasonContainersNotInitialized = "ContainersNotInitialized"
	ReasonContainersNotReady       = "ContainersNotReady"
	ReasonPodCompleted             = "PodCompleted"
)

// timestamp is t as the API keeps it: whole seconds, nil for the zero time.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.Truncate(time.Second))
}

// computeStatus is the pod's status from the runtime's view, the worker's waiting reasons and the
// probes, keeping what must not change (start time, condition transition times) from the
// previous status.
func (w *worker) computeStatus(pod *corev1.Pod, state *podState) *corev1.PodStatus {
	w.mu.Lock()
	prev := w.status
	w.mu.Unlock()
	if prev == nil {
		prev = pod.GetStatus()
	}
	now := w.m.clock.Now()
	st := &corev1.PodStatus{
		HostIp:    w.m.cfg.NodeIP,
		StartTime: prev.GetStartTime(),
		QosClass:  string(qos.Of(pod)),
	}
	if st.StartTime == nil {
		st.StartTime = timestamp(now)
	}
	if w.m.cfg.NodeIP != "" {
		st.HostIps = []*corev1.HostIP{{Ip: w.m.cfg.NodeIP}}
	}
	if len(state.sandboxes) > 0 && state.sandboxes[0].IP != "" {
		st.PodIp = state.sandboxes[0].IP
		st.PodIps = []*corev1.PodIP{{Ip: st.PodIp}}
	}

	initDone := true
	var pendingInit []string
	for _, c := range pod.GetSpec().GetInitContainers() {
		cs := w.containerStatus(c, state, ReasonPodInitializing)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if t := cs.GetState().GetTerminated(); t == nil || t.GetExitCode() != 0 {
			initDone = false
			pendingInit = append(pendingInit, c.GetName())
		}
	}
	appWaiting := ReasonContainerCreating
	if !initDone {
		appWaiting = ReasonPodInitializing
	}
	var unready []string
	for _, c := range pod.GetSpec().GetContainers() {
		cs := w.containerStatus(c, state, appWaiting)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		if !cs.GetReady() {
			unready = append(unready, c.GetName())
		}
	}

	st.Phase = podPhase(pod, st, prev.GetPhase())
	completed := st.Phase == PhaseSucceeded
	conds := []*corev1.PodCondition{condition(prev, CondPodScheduled, true, "", "", now)}
	switch {
	case initDone || completed:
		reason := ""
		if completed && len(pod.GetSpec().GetInitContainers()) > 0 {
			reason = ReasonPodCompleted
		}
		conds = append(conds, condition(prev, CondInitialized, true, reason, "", now))
	default:
		conds = append(conds, condition(prev, CondInitialized, false, ReasonContainersNotInitialized,
			fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(pendingInit, " ")), now))
	}
	switch {
	case completed:
		conds = append(conds,
			condition(prev, CondContainersReady, false, ReasonPodCompleted, "", now),
			condition(prev, CondReady, false, ReasonPodCompleted, "", now))
	case len(unready) > 0:
		msg := fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
		conds = append(conds,
			condition(prev, CondContainersReady, false, ReasonContainersNotReady, msg, now),
			condition(prev, CondReady, false, ReasonContainersNotReady, msg, now))
	default:
		conds = append(conds,
			condition(prev, CondContainersReady, true, "", "", now),
			condition(prev, CondReady, true, "", "", now))
	}
	st.Conditions = conds
	return st
}

// condition builds a condition, keeping its previous lastTransitionTime when its status did not
// change.
func condition(prev *corev1.PodStatus, typ string, status bool, reason, message string, now time.Time) *corev1.PodCondition {
	s := "False"
	if status {
		s = "True"
	}
	c := &corev1.PodCondition{Type: typ, Status: s, Reason: reason, Message: message, LastTransitionTime: timestamp(now)}
	for _, p := range prev.GetConditions() {
		if p.GetType() == typ && p.GetStatus() == s && p.GetLastTransitionTime() != nil {
			c.LastTransitionTime = p.GetLastTransitionTime()
		}
	}
	return c
}

// containerStatus is one container's status. notRun is the waiting reason of a container that
// never ran and has no reason of its own.
func (w *worker) containerStatus(c *corev1.Container, state *podState, notRun string) *corev1.ContainerStatus {
	name := c.GetName()
	cs := &corev1.ContainerStatus{Name: name, Image: c.GetImage()}
	started := false
	cs.Started = &started
	runs := state.containers[name]
	wait, waiting := w.waiting[name]
	if len(runs) == 0 {
		if !waiting {
			wait = waitReason{reason: notRun}
		}
		cs.State = &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: wait.reason, Message: wait.message}}
		return cs
	}
	latest := runs[0]
	cs.ContainerId = w.m.containerID(latest.ID)
	cs.RestartCount = int32(latest.Metadata.Attempt)
	if latest.Image != "" {
		cs.Image = latest.Image
	}
	switch {
	case latest.State == cri.ContainerExited && waiting:
		cs.State = &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: wait.reason, Message: wait.message}}
		cs.LastState = &corev1.ContainerState{Terminated: w.terminatedState(latest)}
		return cs
	case latest.State == cri.ContainerRunning:
		cs.State = &corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: timestamp(latest.StartedAt)}}
		started = w.probes.started(latest.ID, c)
		cs.Ready = started && w.probes.ready(latest.ID, c)
	case latest.State == cri.ContainerExited:
		cs.State = &corev1.ContainerState{Terminated: w.terminatedState(latest)}
	case latest.State == cri.ContainerCreated:
		cs.State = &corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: ReasonContainerCreating}}
	default:
		cs.State = &corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 137, Reason: "ContainerStatusUnknown", Message: "The container could not be located when the pod was terminated",
			ContainerId: cs.ContainerId,
		}}
	}
	if len(runs) > 1 && runs[1].State == cri.ContainerExited {
		cs.LastState = &corev1.ContainerState{Terminated: w.terminatedState(runs[1])}
	}
	return cs
}

func (w *worker) terminatedState(c *cri.ContainerStatus) *corev1.ContainerStateTerminated {
	reason := c.Reason
	if reason == "" {
		reason = cri.ReasonError
		if c.ExitCode == 0 {
			reason = cri.ReasonCompleted
		}
	}
	return &corev1.ContainerStateTerminated{
		ExitCode: c.ExitCode, Reason: reason, Message: c.Message,
		StartedAt: timestamp(c.StartedAt), FinishedAt: timestamp(c.FinishedAt),
		ContainerId: w.m.containerID(c.ID),
	}
}

// podPhase computes the phase as Kubernetes' kubelet does (getPhase), from the containers'
// statuses; a phase that reached Succeeded or Failed stays there.
func podPhase(pod *corev1.Pod, st *corev1.PodStatus, prev string) string {
	if prev == PhaseSucceeded || prev == PhaseFailed {
		return prev
	}
	policy := restartPolicy(pod)
	pendingInit, failedInit := 0, 0
	for _, c := range pod.GetSpec().GetInitContainers() {
		cs := findStatus(st.GetInitContainerStatuses(), c.GetName())
		switch {
		case cs == nil:
			pendingInit++
		case cs.GetState().GetRunning() != nil:
			pendingInit++
		case cs.GetState().GetTerminated() != nil:
			if cs.GetState().GetTerminated().GetExitCode() != 0 {
				failedInit++
			}
		case cs.GetState().GetWaiting() != nil:
			if t := cs.GetLastState().GetTerminated(); t != nil && t.GetExitCode() != 0 {
				failedInit++
			} else {
				pendingInit++
			}
		default:
			pendingInit++
		}
	}
	unknown, running, waiting, stopped, succeeded := 0, 0, 0, 0, 0
	for _, c := range pod.GetSpec().GetContainers() {
		cs := findStatus(st.GetContainerStatuses(), c.GetName())
		switch {
		case cs == nil:
			unknown++
		case cs.GetState().GetRunning() != nil:
			running++
		case cs.GetState().GetTerminated() != nil:
			stopped++
			if cs.GetState().GetTerminated().GetExitCode() == 0 {
				succeeded++
			}
		case cs.GetState().GetWaiting() != nil:
			if cs.GetLastState().GetTerminated() != nil {
				stopped++
			} else {
				waiting++
			}
		default:
			unknown++
		}
	}
	if failedInit > 0 && policy == RestartNever {
		return PhaseFailed
	}
	switch {
	case pendingInit > 0, waiting > 0:
		return PhasePending
	case running > 0 && unknown == 0:
		return PhaseRunning
	case running == 0 && stopped > 0 && unknown == 0:
		if policy == RestartAlways {
			return PhaseRunning
		}
		if stopped == succeeded {
			return PhaseSucceeded
		}
		if policy == RestartNever {
			return PhaseFailed
		}
		return PhaseRunning
	default:
		return PhasePending
	}
}

func findStatus(list []*corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	i := slices.IndexFunc(list, func(cs *corev1.ContainerStatus) bool { return cs.GetName() == name })
	if i < 0 {
		return nil
	}
	return list[i]
}

// allRunning reports whether every app container of pod runs.
func allRunning(pod *corev1.Pod, st *corev1.PodStatus) bool {
	if len(pod.GetSpec().GetContainers()) == 0 {
		return false
	}
	for _, cs := range st.GetContainerStatuses() {
		if cs.GetState().GetRunning() == nil {
			return false
		}
	}
	return true
}
