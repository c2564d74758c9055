package deployment

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// errCollision reports that the name of the new ReplicaSet was taken by one of another template:
// the Deployment's collisionCount was bumped, and the next reconcile hashes to a new name.
var errCollision = errors.New("replica set name taken by another template")

// syncRevision splits rss into the new ReplicaSet of d's template and the old ones, and brings
// the revision annotations of the new one and of d up to date. When create is set and there is
// no new ReplicaSet it creates it, sized as the strategy allows. It returns d as stored.
func (c *Controller) syncRevision(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, create bool) (*appsv1.Deployment, *appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	newRS, old := split(d, rss)
	newRevision := maxRevision(old) + 1
	var err error
	switch {
	case newRS != nil:
		newRS, err = c.syncNewReplicaSet(ctx, d, newRS, newRevision)
		if err != nil {
			return nil, nil, nil, err
		}
		if hasProgressDeadline(d) && condition(d.GetStatus(), Progressing) == nil {
			d.Status = statusOf(d)
			setCondition(d.Status, newCondition(Progressing, "True", FoundNewRSReason,
				fmt.Sprintf("Found new replica set %q", newRS.GetMetadata().GetName()), c.clock.Now()))
			if d, err = c.updateStatus(ctx, d); err != nil {
				return nil, nil, nil, err
			}
		}
	case create:
		newRS, d, err = c.createNewReplicaSet(ctx, d, rss, newRevision)
		if err != nil {
			return nil, nil, nil, err
		}
	default:
		return d, nil, old, nil
	}
	if rev := newRS.GetMetadata().GetAnnotations()[RevisionAnnotation]; rev != "" && d.GetMetadata().GetAnnotations()[RevisionAnnotation] != rev {
		if d.Metadata.Annotations == nil {
			d.Metadata.Annotations = map[string]string{}
		}
		d.Metadata.Annotations[RevisionAnnotation] = rev
		if d, err = c.updateDeployment(ctx, d); err != nil {
			return nil, nil, nil, err
		}
	}
	return d, newRS, old, nil
}

// syncNewReplicaSet brings the annotations and minReadySeconds of the existing new ReplicaSet
// to d's, and returns it as stored.
func (c *Controller) syncNewReplicaSet(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, newRevision int64) (*appsv1.ReplicaSet, error) {
	cp := newRS.CloneVT()
	changed := setNewReplicaSetAnnotations(d, cp, newRevision, true)
	if cp.GetSpec().GetMinReadySeconds() != d.GetSpec().GetMinReadySeconds() {
		cp.Spec.MinReadySeconds = d.GetSpec().GetMinReadySeconds()
		changed = true
	}
	if !changed {
		return newRS, nil
	}
	out, err := c.client.ReplicaSets(cp.GetMetadata().GetNamespace()).Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("update new replica set %s: %w", scheme.Key(cp), err)
	}
	return out, nil
}

// newReplicaSet returns the ReplicaSet of d's template: named <deployment>-<hash>, its selector,
// template and labels carrying the hash, controlled by d, annotated as revision newRevision.
func newReplicaSet(d *appsv1.Deployment, newRevision int64) *appsv1.ReplicaSet {
	hash := templateHash(d.GetSpec().GetTemplate(), statusOf(d).CollisionCount)
	template := d.GetSpec().GetTemplate().CloneVT()
	if template.Metadata == nil {
		template.Metadata = &metav1.ObjectMeta{}
	}
	template.Metadata.Labels = maps.Clone(template.Metadata.Labels)
	if template.Metadata.Labels == nil {
		template.Metadata.Labels = map[string]string{}
	}
	template.Metadata.Labels[HashLabel] = hash
	selector := d.GetSpec().GetSelector().CloneVT()
	if selector.MatchLabels == nil {
		selector.MatchLabels = map[string]string{}
	}
	selector.MatchLabels[HashLabel] = hash
	zero := int32(0)
	rs := &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{
			Name:            d.GetMetadata().GetName() + "-" + hash,
			Namespace:       d.GetMetadata().GetNamespace(),
			Labels:          maps.Clone(template.Metadata.Labels),
			OwnerReferences: []*metav1.OwnerReference{ownerReference(d)},
		},
		Spec: &appsv1.ReplicaSetSpec{
			Replicas: &zero, MinReadySeconds: d.GetSpec().GetMinReadySeconds(), Selector: selector, Template: template,
		},
	}
	setNewReplicaSetAnnotations(d, rs, newRevision, false)
	return rs
}

// createNewReplicaSet creates the new ReplicaSet of d, sized as the strategy allows, sets the
// Progressing condition to say so and returns it with d as stored. A ReplicaSet of that name
// that is d's and of its template is taken as the new one (the cache had not seen it yet); one
// of another template is a hash collision: collisionCount is bumped and errCollision returned.
func (c *Controller) createNewReplicaSet(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, newRevision int64) (*appsv1.ReplicaSet, *appsv1.Deployment, error) {
	rs := newReplicaSet(d, newRevision)
	size := newRSReplicas(d, rss, rs)
	rs.Spec.Replicas = &size
	res := c.client.ReplicaSets(d.GetMetadata().GetNamespace())
	created, err := res.Create(ctx, rs)
	if apierrors.IsAlreadyExists(err) {
		existing, getErr := res.Get(ctx, rs.GetMetadata().GetName())
		if getErr != nil {
			return nil, nil, fmt.Errorf("read replica set %s after a name clash: %w", scheme.Key(rs), getErr)
		}
		if ref := controllerRef(existing.GetMetadata()); ref != nil && ref.GetUid() == d.GetMetadata().GetUid() &&
			equalIgnoreHash(existing.GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) {
			return existing, d, nil
		}
		d.Status = statusOf(d)
		n := d.GetStatus().GetCollisionCount() + 1
		d.Status.CollisionCount = &n
		if _, err := c.updateStatus(ctx, d); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("create new replica set of deployment %s: %s: %w", scheme.Key(d), rs.GetMetadata().GetName(), errCollision)
	}
	if err != nil {
		if hasProgressDeadline(d) {
			d.Status = statusOf(d)
			setCondition(d.Status, newCondition(Progressing, "False", FailedRSCreateReason,
				fmt.Sprintf("Failed to create new replica set %q: %v", rs.GetMetadata().GetName(), err), c.clock.Now()))
			if _, stErr := c.updateStatus(ctx, d); stErr != nil {
				err = errors.Join(err, stErr)
			}
		}
		c.rec.Eventf(d, events.TypeWarning, FailedRSCreateReason, "Failed to create new replica set %q: %v", rs.GetMetadata().GetName(), err)
		return nil, nil, fmt.Errorf("create new replica set of deployment %s: %w", scheme.Key(d), err)
	}
	if size > 0 {
		c.rec.Eventf(d, events.TypeNormal, "ScalingReplicaSet", "Scaled up replica set %s to %d", created.GetMetadata().GetName(), size)
	}
	if hasProgressDeadline(d) {
		d.Status = statusOf(d)
		setCondition(d.Status, newCondition(Progressing, "True", NewRSReason,
			fmt.Sprintf("Created new replica set %q", created.GetMetadata().GetName()), c.clock.Now()))
		if d, err = c.updateStatus(ctx, d); err != nil {
			return nil, nil, err
		}
	}
	return created, d, nil
}

// newRSReplicas returns the size the new ReplicaSet may grow to now: d's replicas for Recreate;
// for RollingUpdate as many more as keep the pods of every ReplicaSet within replicas+maxSurge,
// never above replicas. Unlike Kubernetes, which counts replicas only, it counts the pods an old
// ReplicaSet has not yet been seen deleting, so the surge holds for pods too.
func newRSReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if !isRolling(d) {
		return replicas(d)
	}
	cur := specReplicas(newRS)
	total := podsOf(newRS)
	for _, rs := range all {
		if rs.GetMetadata().GetName() != newRS.GetMetadata().GetName() {
			total += podsOf(rs)
		}
	}
	maxTotal := replicas(d) + maxSurge(d)
	if total >= maxTotal {
		return cur
	}
	return cur + max(0, min(maxTotal-total, replicas(d)-cur))
}
