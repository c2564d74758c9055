package replicaset

import (
	"maps"

	"github.com/keelson-dev/keelson/pkg/labels"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// controllerRef returns the ownerReference of obj that has controller set, or nil.
func controllerRef(m *metav1.ObjectMeta) *metav1.OwnerReference {
	for _, ref := range m.GetOwnerReferences() {
		if ref.GetController() {
			return ref
		}
	}
	return nil
}

// ownerKey returns the key of the workload ref names in namespace when it is of this
// controller's kind and still exists with ref's uid; "" otherwise.
func (c *Controller[T]) ownerKey(namespace string, ref *metav1.OwnerReference) string {
	if ref == nil || ref.GetKind() != c.kind.Kind {
		return ""
	}
	owner, ok := c.owners.Lister().Get(namespace, ref.GetName())
	if !ok || owner.GetMetadata().GetUid() != ref.GetUid() {
		return ""
	}
	return namespace + "/" + ref.GetName()
}

// enqueueMatching queues every workload of pod's namespace whose selector matches pod: one of
// them may adopt it.
func (c *Controller[T]) enqueueMatching(pod *corev1.Pod) {
	set := labels.Set(pod.GetMetadata().GetLabels())
	for _, owner := range c.owners.Lister().ListNamespace(pod.GetMetadata().GetNamespace()) {
		spec, err := c.kind.Spec(owner)
		if err == nil && spec.Selector.Matches(set) {
			c.queue.Add(pod.GetMetadata().GetNamespace() + "/" + owner.GetMetadata().GetName())
		}
	}
}

// podAdded counts a create the owner expected, or offers an orphan for adoption. A pod first
// seen already being deleted (after a relist) counts as an observed delete.
func (c *Controller[T]) podAdded(pod *corev1.Pod) {
	m := pod.GetMetadata()
	if key := c.ownerKey(m.GetNamespace(), controllerRef(m)); key != "" {
		if m.GetDeletionTimestamp() != nil {
			c.expectations.DeletionObserved(key)
		} else {
			c.expectations.CreationObserved(key)
		}
		c.queue.Add(key)
		return
	}
	if controllerRef(m) == nil && m.GetDeletionTimestamp() == nil {
		c.enqueueMatching(pod)
	}
}

// podUpdated queues the old and the new owner; a pod that starts being deleted counts as an
// observed delete, and an orphan whose labels changed is offered for adoption.
func (c *Controller[T]) podUpdated(old, cur *corev1.Pod) {
	om, cm := old.GetMetadata(), cur.GetMetadata()
	if om.GetResourceVersion() == cm.GetResourceVersion() {
		return // a resync: nothing changed
	}
	oldKey := c.ownerKey(om.GetNamespace(), controllerRef(om))
	curKey := c.ownerKey(cm.GetNamespace(), controllerRef(cm))
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
	if controllerRef(cm) == nil && (!maps.Equal(om.GetLabels(), cm.GetLabels()) || controllerRef(om) != nil) {
		c.enqueueMatching(cur)
	}
}

// podDeleted counts a delete the owner expected, unless the pod's earlier update to deleting
// counted it already.
func (c *Controller[T]) podDeleted(pod *corev1.Pod) {
	m := pod.GetMetadata()
	key := c.ownerKey(m.GetNamespace(), controllerRef(m))
	if key == "" {
		return
	}
	if m.GetDeletionTimestamp() == nil {
		c.expectations.DeletionObserved(key)
	}
	c.queue.Add(key)
}
