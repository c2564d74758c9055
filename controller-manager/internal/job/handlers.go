package job

import (
	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
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

// podAdded counts a create the Job expected, or offers an orphan for adoption.
func (c *Controller) podAdded(pod *corev1.Pod) {
	c.finalizerSeen(pod, false)
	m := pod.GetMetadata()
	if key := c.jobKey(m.GetNamespace(), podclaim.ControllerRef(m)); key != "" {
		if m.GetDeletionTimestamp() != nil {
			c.expectations.DeletionObserved(key)
		} else {
			c.expectations.CreationObserved(key)
		}
		c.queue.Add(key)
		return
	}
	if podclaim.ControllerRef(m) == nil && m.GetDeletionTimestamp() == nil {
		c.enqueueMatching(pod)
	}
}

// podUpdated queues the old and the new owner; a pod that starts being deleted counts as an
// observed delete.
func (c *Controller) podUpdated(old, cur *corev1.Pod) {
	om, cm := old.GetMetadata(), cur.GetMetadata()
	if om.GetResourceVersion() == cm.GetResourceVersion() {
		return
	}
	c.finalizerSeen(cur, false)
	oldKey := c.jobKey(om.GetNamespace(), podclaim.ControllerRef(om))
	curKey := c.jobKey(cm.GetNamespace(), podclaim.ControllerRef(cm))
	if cm.GetDeletionTimestamp() != nil && om.GetDeletionTimestamp() == nil && curKey != "" {
		c.expectations.DeletionObserved(curKey)
	}
	if oldKey != "" && oldKey != curKey {
		c.queue.Add(oldKey)
	}
	if curKey != "" {
		c.queue.Add(curKey)
		return
	}
	if podclaim.ControllerRef(cm) == nil {
		c.enqueueMatching(cur)
	}
}

// podDeleted counts a delete the Job expected, unless the pod's update to deleting counted it.
func (c *Controller) podDeleted(pod *corev1.Pod) {
	c.finalizerSeen(pod, true)
	m := pod.GetMetadata()
	key := c.jobKey(m.GetNamespace(), podclaim.ControllerRef(m))
	if key == "" {
		return
	}
	if m.GetDeletionTimestamp() == nil {
		c.expectations.DeletionObserved(key)
	}
	c.queue.Add(key)
}
