package job

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/labels"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// jobKey returns the key of the Job ref names in namespace when it is a Job that still exists
// with ref's uid; "" otherwise.
func (c *Controller) jobKey(namespace string, ref *metav1.OwnerReference) string {
	if ref == nil || ref.GetKind() != "Job" {
		return ""
	}
	job, ok := c.jobs.Lister().Get(namespace, ref.GetName())
	if !ok || job.GetMetadata().GetUid() != ref.GetUid() {
		return ""
	}
	return namespace + "/" + ref.GetName()
}

// enqueueMatching queues every Job of pod's namespace whose selector matches the orphan pod.
func (c *Controller) enqueueMatching(pod *corev1.Pod) {
	set := labels.Set(pod.GetMetadata().GetLabels())
	for _, job := range c.jobs.Lister().ListNamespace(pod.GetMetadata().GetNamespace()) {
		sel, err := labels.FromLabelSelector(job.GetSpec().GetSelector())
		if err == nil && job.GetSpec().GetSelector() != nil && sel.Matches(set) {
			c.queue.Add(pod.GetMetadata().GetNamespace() + "/" + job.GetMetadata().GetName())
		}
	}
}

// finalizerSeen notes that the informer shows pod without the tracking finalizer, or gone.
func (c *Controller) finalizerSeen(pod *corev1.Pod, gone bool) {
	m := pod.GetMetadata()
	ref := podclaim.ControllerRef(m)
	if ref == nil || ref.GetKind() != "Job" {
		return
	}
	key := m.GetNamespace() + "/" + ref.GetName()
	if gone || !hasFinalizer(pod) {
		c.removals.observed(key, m.GetUid())
		return
	}
	if c.jobKey(m.GetNamespace(), ref) == "" {
		c.queue.Add(key) // its Job is gone or replaced: the finalizer must go
	}
}

// podHandler follows the Job's pods as podclaim.Handler does, and notes first which pods have
// lost their tracking finalizer.
func (c *Controller) podHandler() informer.Handler[*corev1.Pod] {
	h := podclaim.Handler(podclaim.Owners{Queue: c.queue, Expectations: c.expectations, Key: c.jobKey, Matching: c.enqueueMatching})
	return informer.Handler[*corev1.Pod]{
		OnAdd: func(pod *corev1.Pod) {
			c.finalizerSeen(pod, false)
			h.OnAdd(pod)
		},
		OnUpdate: func(old, cur *corev1.Pod) {
			c.finalizerSeen(cur, false)
			h.OnUpdate(old, cur)
		},
		OnDelete: func(pod *corev1.Pod) {
			c.finalizerSeen(pod, true)
			h.OnDelete(pod)
		},
	}
}
