package queue

import (
	"time"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// QueuedPodInfo is a pod in the queue and its history there.
type QueuedPodInfo struct {
	Pod *corev1.Pod
	// Key is "namespace/name".
	Key string
	// InitialTimestamp is when the pod first entered the queue; Timestamp when it last did.
	InitialTimestamp time.Time
	Timestamp        time.Time
	// Attempts counts the times Pop handed the pod out.
	Attempts int
	// backoffUntil is when the pod may be tried again after a failure.
	backoffUntil time.Time
	// index is the pod's position in the heap that holds it.
	index int
}

// priority returns the pod's spec.priority, 0 when unset.
func (p *QueuedPodInfo) priority() int32 { return p.Pod.GetSpec().GetPriority() }

// created returns the pod's creation time, or when it entered the queue without one.
func (p *QueuedPodInfo) created() time.Time {
	if ts := p.Pod.GetMetadata().GetCreationTimestamp(); ts != nil {
		return ts.AsTime()
	}
	return p.InitialTimestamp
}

// activeLess orders the active queue: higher priority first, then older, then by key.
func activeLess(a, b *QueuedPodInfo) bool {
	if pa, pb := a.priority(), b.priority(); pa != pb {
		return pa > pb
	}
	if ca, cb := a.created(), b.created(); !ca.Equal(cb) {
		return ca.Before(cb)
	}
	return a.Key < b.Key
}

// backoffLess orders the backoff queue: soonest done first.
func backoffLess(a, b *QueuedPodInfo) bool {
	if !a.backoffUntil.Equal(b.backoffUntil) {
		return a.backoffUntil.Before(b.backoffUntil)
	}
	return a.Key < b.Key
}
