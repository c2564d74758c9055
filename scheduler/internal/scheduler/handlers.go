package scheduler

import (
	"maps"
	"slices"

	"github.com/keelson-dev/keelson/pkg/informer"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// addHandlers routes the informers' changes: assigned pods and nodes to the cache, pending pods
// this scheduler is responsible for to the queue, and changes that may let waiting pods fit to
// the queue's unschedulable set.
func (s *Scheduler) addHandlers() {
	s.informers.pods.AddHandler(informer.Handler[*corev1.Pod]{
		OnAdd:    s.onPodAdd,
		OnUpdate: s.onPodUpdate,
		OnDelete: s.onPodDelete,
	})
	s.informers.nodes.AddHandler(informer.Handler[*corev1.Node]{
		OnAdd: func(n *corev1.Node) {
			s.cache.AddNode(n)
			s.queue.MoveAllToActive()
		},
		OnUpdate: func(old, cur *corev1.Node) {
			s.cache.UpdateNode(cur)
			if schedulingChanged(old, cur) {
				s.queue.MoveAllToActive()
			}
		},
		OnDelete: func(n *corev1.Node) { s.cache.RemoveNode(n.GetMetadata().GetName()) },
	})
}

func (s *Scheduler) onPodAdd(pod *corev1.Pod) {
	switch {
	case terminal(pod):
	case assigned(pod):
		s.cache.AddPod(pod)
		s.queue.MoveAffinityPodsToActive(pod, s.namespaceLabels)
	case s.wants(pod):
		s.queue.Add(pod)
	}
}

func (s *Scheduler) onPodUpdate(old, cur *corev1.Pod) {
	if assigned(cur) {
		switch {
		case terminal(cur):
			// A finished pod frees what it requested.
			s.cache.RemovePod(cur)
			if !terminal(old) {
				s.queue.MoveAllToActive()
			}
		case !assigned(old):
			// Bound, by this scheduler (confirming its assumption) or another.
			s.queue.Delete(cur)
			s.cache.AddPod(cur)
			s.queue.MoveAffinityPodsToActive(cur, s.namespaceLabels)
		default:
			s.cache.UpdatePod(cur)
		}
		return
	}
	if s.cache.IsAssumed(nodeinfo.PodKey(cur)) {
		return // its binding is being written; the bound version will follow
	}
	if !s.wants(cur) {
		s.queue.Delete(cur)
		return
	}
	s.queue.Update(old, cur)
}

func (s *Scheduler) onPodDelete(pod *corev1.Pod) {
	s.cache.RemovePod(pod)
	if assigned(pod) {
		if !terminal(pod) {
			s.queue.MoveAllToActive()
		}
		return
	}
	s.queue.Delete(pod)
}

// wants reports whether pod waits for this scheduler: pending, not being deleted, not gated, and
// naming this scheduler.
func (s *Scheduler) wants(pod *corev1.Pod) bool {
	if assigned(pod) || terminal(pod) || pod.GetMetadata().GetDeletionTimestamp() != nil ||
		len(pod.GetSpec().GetSchedulingGates()) > 0 {
		return false
	}
	name := pod.GetSpec().GetSchedulerName()
	if name == "" {
		name = DefaultSchedulerName
	}
	return name == s.cfg.SchedulerName
}

func assigned(pod *corev1.Pod) bool { return pod.GetSpec().GetNodeName() != "" }

func terminal(pod *corev1.Pod) bool {
	phase := pod.GetStatus().GetPhase()
	return phase == "Succeeded" || phase == "Failed"
}

// schedulingChanged reports whether a node update may let waiting pods fit: its labels, taints,
// cordon, allocatable resources or the status of its conditions changed. Heartbeats alone do not
// count.
func schedulingChanged(old, cur *corev1.Node) bool {
	if old.GetSpec().GetUnschedulable() != cur.GetSpec().GetUnschedulable() ||
		!maps.Equal(old.GetMetadata().GetLabels(), cur.GetMetadata().GetLabels()) ||
		!maps.Equal(old.GetStatus().GetAllocatable(), cur.GetStatus().GetAllocatable()) ||
		!slices.EqualFunc(old.GetSpec().GetTaints(), cur.GetSpec().GetTaints(), func(a, b *corev1.Taint) bool {
			return a.GetKey() == b.GetKey() && a.GetValue() == b.GetValue() && a.GetEffect() == b.GetEffect()
		}) {
		return true
	}
	return !slices.EqualFunc(old.GetStatus().GetConditions(), cur.GetStatus().GetConditions(), func(a, b *corev1.NodeCondition) bool {
		return a.GetType() == b.GetType() && a.GetStatus() == b.GetStatus()
	})
}
