package deployment

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// controllerRef returns the ownerReference of an object that has controller set, or nil.
func controllerRef(m *metav1.ObjectMeta) *metav1.OwnerReference {
	for _, ref := range m.GetOwnerReferences() {
		if ref.GetController() {
			return ref
		}
	}
	return nil
}

// ownerReference returns the controller reference the ReplicaSets of d carry.
func ownerReference(d *appsv1.Deployment) *metav1.OwnerReference {
	yes := true
	return &metav1.OwnerReference{
		ApiVersion: "apps/v1", Kind: "Deployment", Name: d.GetMetadata().GetName(),
		Uid: d.GetMetadata().GetUid(), Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// claimReplicaSets returns the ReplicaSets d controls and that its selector matches, after
// adopting matching orphans and releasing controlled ones that no longer match. Both are
// updates guarded by the cached resourceVersion, so a ReplicaSet changed meanwhile is left to
// the next reconcile. A Deployment being deleted adopts and releases nothing.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment, sel labels.Selector) ([]*appsv1.ReplicaSet, error) {
	dm := d.GetMetadata()
	deleting := dm.GetDeletionTimestamp() != nil
	checkedFresh := false
	var claimed []*appsv1.ReplicaSet
	for _, rs := range c.rss.Lister().ListNamespace(dm.GetNamespace()) {
		ref := controllerRef(rs.GetMetadata())
		matches := sel.Matches(labels.Set(rs.GetMetadata().GetLabels()))
		switch {
		case ref != nil && ref.GetUid() != dm.GetUid():
			// Another controller's.
		case ref != nil && matches:
			claimed = append(claimed, rs)
		case ref != nil && !deleting:
			if err := c.release(ctx, d, rs); err != nil {
				return nil, err
			}
		case ref == nil && matches && !deleting && rs.GetMetadata().GetDeletionTimestamp() == nil:
			if !checkedFresh {
				// The cache may hold a Deployment deleted and recreated under the same name:
				// adopt only for the one the API holds now.
				if err := c.canAdopt(ctx, d); err != nil {
					return nil, err
				}
				checkedFresh = true
			}
			adopted, err := c.adopt(ctx, d, rs)
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

// canAdopt reads d from the API and fails unless it is the same object and not being deleted.
func (c *Controller) canAdopt(ctx context.Context, d *appsv1.Deployment) error {
	dm := d.GetMetadata()
	fresh, err := c.client.Deployments(dm.GetNamespace()).Get(ctx, dm.GetName())
	if err != nil {
		return fmt.Errorf("read deployment %s before adopting: %w", scheme.Key(d), err)
	}
	if fresh.GetMetadata().GetUid() != dm.GetUid() {
		return fmt.Errorf("deployment %s was recreated (uid %s, cached %s): not adopting", scheme.Key(d),
			fresh.GetMetadata().GetUid(), dm.GetUid())
	}
	if fresh.GetMetadata().GetDeletionTimestamp() != nil {
		return fmt.Errorf("deployment %s is being deleted: not adopting", scheme.Key(d))
	}
	return nil
}

// adopt makes d the controller of the orphan rs and returns rs as stored, or nil when it is gone.
func (c *Controller) adopt(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet) (*appsv1.ReplicaSet, error) {
	cp := rs.CloneVT()
	cp.Metadata.OwnerReferences = append(cp.Metadata.OwnerReferences, ownerReference(d))
	updated, err := c.client.ReplicaSets(cp.GetMetadata().GetNamespace()).Update(ctx, cp)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("adopt replica set %s into deployment %s: %w", scheme.Key(rs), scheme.Key(d), err)
	}
	return updated, nil
}

// release drops d's reference from rs.
func (c *Controller) release(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet) error {
	cp := rs.CloneVT()
	refs := cp.Metadata.OwnerReferences[:0]
	for _, ref := range cp.Metadata.OwnerReferences {
		if ref.GetUid() != d.GetMetadata().GetUid() {
			refs = append(refs, ref)
		}
	}
	cp.Metadata.OwnerReferences = refs
	_, err := c.client.ReplicaSets(cp.GetMetadata().GetNamespace()).Update(ctx, cp)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("release replica set %s from deployment %s: %w", scheme.Key(rs), scheme.Key(d), err)
	}
	return nil
}
