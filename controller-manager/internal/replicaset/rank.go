package replicaset

import (
	"slices"
	"strings"
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// podsToDelete returns the n least valuable of pods, least valuable first.
func podsToDelete(pods []*corev1.Pod, n int) []*corev1.Pod {
	sorted := slices.Clone(pods)
	slices.SortStableFunc(sorted, func(a, b *corev1.Pod) int { return compareValue(a, b) })
	return sorted[:min(n, len(sorted))]
}

// phaseRank orders phases from least to most valuable: Pending, Unknown, Running.
func phaseRank(phase string) int {
	switch phase {
	case "", "Pending":
		return 0
	case "Unknown":
		return 1
	case "Running":
		return 2
	default:
		return 3
	}
}

// compareValue orders pods from least to most valuable, as Kubernetes' ActivePods does: an
// unassigned pod before an assigned one; Pending before Unknown before Running; not ready before
// ready; of two ready pods, the one ready for less time; then more container restarts first;
// then the newer pod first. The name breaks remaining ties so the order is total.
func compareValue(a, b *corev1.Pod) int {
	if c := boolFirst(a.GetSpec().GetNodeName() == "", b.GetSpec().GetNodeName() == ""); c != 0 {
		return c
	}
	if c := phaseRank(a.GetStatus().GetPhase()) - phaseRank(b.GetStatus().GetPhase()); c != 0 {
		return c
	}
	ra, rb := readySince(a), readySince(b)
	if c := boolFirst(ra == nil, rb == nil); c != 0 {
		return c
	}
	if ra != nil && rb != nil && !ra.Equal(*rb) {
		// Ready for less time is worth less; a later transition means less time.
		return ra.Compare(*rb) * -1
	}
	if c := restarts(b) - restarts(a); c != 0 {
		return int(c)
	}
	ca, cb := a.GetMetadata().GetCreationTimestamp().AsTime(), b.GetMetadata().GetCreationTimestamp().AsTime()
	if !ca.Equal(cb) {
		return cb.Compare(ca) // newer first
	}
	return strings.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName())
}

// boolFirst orders a pod for which x holds before one for which it does not.
func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	default:
		return 1
	}
}

// readyCondition returns pod's Ready condition, or nil.
func readyCondition(pod *corev1.Pod) *corev1.PodCondition {
	for _, c := range pod.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c
		}
	}
	return nil
}

// readySince returns when a ready pod became ready (the zero time when it does not say), or nil
// for a pod that is not ready.
func readySince(pod *corev1.Pod) *time.Time {
	c := readyCondition(pod)
	if c.GetStatus() != "True" {
		return nil
	}
	var t time.Time
	if c.GetLastTransitionTime() != nil {
		t = c.GetLastTransitionTime().AsTime()
	}
	return &t
}

// restarts returns the restarts of pod's containers, the largest of any one container, as
// Kubernetes ranks them.
func restarts(pod *corev1.Pod) int32 {
	var most int32
	for _, cs := range pod.GetStatus().GetContainerStatuses() {
		most = max(most, cs.GetRestartCount())
	}
	return most
}
