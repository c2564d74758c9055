package podclaim

import (
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/workqueue"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// Owners is what a pod handler needs to know of the controller whose pods it follows.
type Owners struct {
	// Queue takes the keys of owners to reconcile.
	Queue workqueue.Interface[string]
	// Expectations count the creates and deletes each owner waits to see.
	Expectations *controller.Expectations
	// Key returns the key of the owner ref names in namespace when it is one of this
	// controller's and still exists with ref's uid; "" otherwise.
	Key func(namespace string, ref *metav1.OwnerReference) string
	// Matching queues the owners whose selector matches an orphan pod: one may adopt it.
	Matching func(pod *corev1.Pod)
}

// Handler returns the pod informer handler of a controller that owns pods: it counts the
// creates and deletes each owner expects as the informer shows them (a pod first seen, or
// updated, with a deletionTimestamp counts as deleted then, not again when it goes), queues the
// owners a pod had and has, and offers orphans whose labels may now match for adoption.
func Handler(o Owners) informer.Handler[*corev1.Pod] {
	return informer.Handler[*corev1.Pod]{
		OnAdd: func(pod *corev1.Pod) {
			m := pod.GetMetadata()
			ref := ControllerRef(m)
			if key := o.Key(m.GetNamespace(), ref); key != "" {
				if m.GetDeletionTimestamp() != nil {
					o.Expectations.DeletionObserved(key)
				} else {
					o.Expectations.CreationObserved(key)
				}
				o.Queue.Add(key)
				return
			}
			if ref == nil && m.GetDeletionTimestamp() == nil {
				o.Matching(pod)
			}
		},
		OnUpdate: func(old, cur *corev1.Pod) {
			om, cm := old.GetMetadata(), cur.GetMetadata()
			if om.GetResourceVersion() == cm.GetResourceVersion() {
				return // a resync: nothing changed
			}
			oldKey := o.Key(om.GetNamespace(), ControllerRef(om))
			curKey := o.Key(cm.GetNamespace(), ControllerRef(cm))
			if cm.GetDeletionTimestamp() != nil && om.GetDeletionTimestamp() == nil && curKey != "" {
				o.Expectations.DeletionObserved(curKey)
			}
			if oldKey != "" && oldKey != curKey {
				o.Queue.Add(oldKey)
			}
			if curKey != "" {
				o.Queue.Add(curKey)
				return
			}
			if ControllerRef(cm) == nil {
				o.Matching(cur)
			}
		},
		OnDelete: func(pod *corev1.Pod) {
			m := pod.GetMetadata()
			key := o.Key(m.GetNamespace(), ControllerRef(m))
			if key == "" {
				return
			}
			if m.GetDeletionTimestamp() == nil {
				o.Expectations.DeletionObserved(key)
			}
			o.Queue.Add(key)
		},
	}
}
