package replicaset

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// isActive reports whether pod counts toward a workload: not terminated and not being deleted.
func isActive(pod *corev1.Pod) bool {
	phase := pod.GetStatus().GetPhase()
	return phase != "Succeeded" && phase != "Failed" && pod.GetMetadata().GetDeletionTimestamp() == nil
}

// claimPods returns the active pods owner controls and that match its selector, after adopting
// matching orphans and releasing controlled pods that no longer match. A workload being
// deleted adopts nothing and releases nothing.
func (c *Controller[T]) claimPods(ctx context.Context, owner T, spec Spec) ([]*corev1.Pod, error) {
	om := owner.GetMetadata()
	deleting := om.GetDeletionTimestamp() != nil
	checkedFresh := false
	var claimed []*corev1.Pod
	for _, pod := range c.pods.Lister().ListNamespace(om.GetNamespace()) {
		if !isActive(pod) {
			continue
		}
		ref := controllerRef(pod.GetMetadata())
		matches := spec.Selector.Matches(labels.Set(pod.GetMetadata().GetLabels()))
		switch {
		case ref != nil && ref.GetUid() != om.GetUid():
			// Another controller's pod.
		case ref != nil && matches:
			claimed = append(claimed, pod)
		case ref != nil && !deleting:
			if err := c.release(ctx, owner, pod); err != nil {
				return nil, err
			}
		case ref == nil && matches && !deleting:
			if !checkedFresh {
				// The cache may hold a workload deleted and recreated under the same name: adopt
				// only for the one the API holds now.
				if err := c.canAdopt(ctx, owner); err != nil {
					return nil, err
				}
				checkedFresh = true
			}
			adopted, err := c.adopt(ctx, owner, pod)
			if err != nil {
				return nil, err
			}
			if adopted != nil {
				claimed = append(claimed, adopted)
			}
		}
	}
	return claimed, nil
}

// canAdopt reads owner from the API and fails unless it is the same object and not being
// deleted.
func (c *Controller[T]) canAdopt(ctx context.Context, owner T) error {
	om := owner.GetMetadata()
	fresh, err := c.kind.Resource(c.client, om.GetNamespace()).Get(ctx, om.GetName())
	if err != nil {
		return fmt.Errorf("read %s %s before adopting: %w", c.kind.Kind, scheme.Key(owner), err)
	}
	if fresh.GetMetadata().GetUid() != om.GetUid() {
		return fmt.Errorf("%s %s was recreated (uid %s, cached %s): not adopting", c.kind.Kind, scheme.Key(owner),
			fresh.GetMetadata().GetUid(), om.GetUid())
	}
	if fresh.GetMetadata().GetDeletionTimestamp() != nil {
		return fmt.Errorf("%s %s is being deleted: not adopting", c.kind.Kind, scheme.Key(owner))
	}
	return nil
}

// ownerReference returns the controller reference pods of owner carry.
func (c *Controller[T]) ownerReference(owner T) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{
		ApiVersion: c.kind.APIVersion, Kind: c.kind.Kind, Name: owner.GetMetadata().GetName(),
		Uid: owner.GetMetadata().GetUid(), Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// adopt makes owner the controller of the orphan pod and returns the pod as stored, or nil when
// the pod is gone.
func (c *Controller[T]) adopt(ctx context.Context, owner T, pod *corev1.Pod) (*corev1.Pod, error) {
	p := pod.CloneVT()
	p.Metadata.OwnerReferences = append(p.Metadata.OwnerReferences, c.ownerReference(owner))
	updated, err := c.client.Pods(p.GetMetadata().GetNamespace()).Update(ctx, p)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("adopt pod %s into %s %s: %w", scheme.Key(pod), c.kind.Kind, scheme.Key(owner), err)
	}
	return updated, nil
}

// release drops owner's reference from pod.
func (c *Controller[T]) release(ctx context.Context, owner T, pod *corev1.Pod) error {
	p := pod.CloneVT()
	refs := p.Metadata.OwnerReferences[:0]
	for _, ref := range p.Metadata.OwnerReferences {
		if ref.GetUid() != owner.GetMetadata().GetUid() {
			refs = append(refs, ref)
		}
	}
	p.Metadata.OwnerReferences = refs
	_, err := c.client.Pods(p.GetMetadata().GetNamespace()).Update(ctx, p)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("release pod %s from %s %s: %w", scheme.Key(pod), c.kind.Kind, scheme.Key(owner), err)
	}
	return nil
}
