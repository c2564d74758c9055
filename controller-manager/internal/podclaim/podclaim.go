// Package podclaim sorts the pods of a namespace for a controller that owns pods by selector:
// the pods it controls and that match, after adopting matching orphans and releasing controlled
// pods that stopped matching, as Kubernetes' pod control ref manager does.
package podclaim

import (
	"context"
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// ControllerRef returns the ownerReference of m that has controller set, or nil.
func ControllerRef(m *metav1.ObjectMeta) *metav1.OwnerReference {
	for _, ref := range m.GetOwnerReferences() {
		if ref.GetController() {
			return ref
		}
	}
	return nil
}

// OwnerReference returns the controller reference of owner, of kind and apiVersion, that its
// pods carry.
func OwnerReference(owner scheme.Object, apiVersion, kind string) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{
		ApiVersion: apiVersion, Kind: kind, Name: owner.GetMetadata().GetName(),
		Uid: owner.GetMetadata().GetUid(), Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// Claim returns the pods of pods that ref's owner controls and that match sel, terminated ones
// included. Unless the owner is being deleted it adopts the matching orphans that are not being
// deleted, adding each of finalizers it lacks, and releases the controlled pods that no longer
// match. Adoption and release are updates guarded on the pod's resourceVersion: a pod another
// writer changed meanwhile fails with Conflict, and is claimed again on the caller's retry
// rather than overwritten.
func Claim(ctx context.Context, c *client.Client, owner scheme.Object, ref *metav1.OwnerReference, sel labels.Selector, pods []*corev1.Pod, finalizers ...string) ([]*corev1.Pod, error) {
	om := owner.GetMetadata()
	deleting := om.GetDeletionTimestamp() != nil
	var claimed []*corev1.Pod
	for _, pod := range pods {
		cur := ControllerRef(pod.GetMetadata())
		matches := sel.Matches(labels.Set(pod.GetMetadata().GetLabels()))
		switch {
		case cur != nil && cur.GetUid() != om.GetUid():
			// Another controller's pod.
		case cur != nil && matches:
			claimed = append(claimed, pod)
		case cur != nil && !deleting:
			p := pod.CloneVT()
			p.Metadata.OwnerReferences = slices.DeleteFunc(p.Metadata.OwnerReferences,
				func(r *metav1.OwnerReference) bool { return r.GetUid() == om.GetUid() })
			if err := update(ctx, c, p); err != nil {
				return nil, fmt.Errorf("release pod %s from %s %s: %w", scheme.Key(pod), ref.GetKind(), scheme.Key(owner), err)
			}
		case cur == nil && matches && !deleting && pod.GetMetadata().GetDeletionTimestamp() == nil:
			p := pod.CloneVT()
			p.Metadata.OwnerReferences = append(p.Metadata.OwnerReferences, ref)
			for _, f := range finalizers {
				if !slices.Contains(p.Metadata.Finalizers, f) {
					p.Metadata.Finalizers = append(p.Metadata.Finalizers, f)
				}
			}
			if err := update(ctx, c, p); err != nil {
				return nil, fmt.Errorf("adopt pod %s into %s %s: %w", scheme.Key(pod), ref.GetKind(), scheme.Key(owner), err)
			}
			claimed = append(claimed, p)
		}
	}
	return claimed, nil
}

// update writes p; a pod already gone is not an error.
func update(ctx context.Context, c *client.Client, p *corev1.Pod) error {
	_, err := c.Pods(p.GetMetadata().GetNamespace()).Update(ctx, p)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
