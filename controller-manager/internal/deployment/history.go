package deployment

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// cleanup deletes the oldest of d's old ReplicaSets beyond revisionHistoryLimit, lowest revision
// first, skipping any that still has replicas or whose status lags its spec.
func (c *Controller) cleanup(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet) error {
	limit := d.GetSpec().RevisionHistoryLimit
	if limit == nil {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range old {
		if rs.GetMetadata().GetDeletionTimestamp() == nil {
			alive = append(alive, rs)
		}
	}
	diff := len(alive) - int(*limit)
	if diff <= 0 {
		return nil
	}
	slices.SortFunc(alive, func(a, b *appsv1.ReplicaSet) int {
		if c := cmp.Compare(revisionOf(a.GetMetadata().GetAnnotations()), revisionOf(b.GetMetadata().GetAnnotations())); c != 0 {
			return c
		}
		return byAge(a, b)
	})
	for _, rs := range alive[:diff] {
		if specReplicas(rs) != 0 || rs.GetStatus().GetReplicas() != 0 ||
			rs.GetMetadata().GetGeneration() > rs.GetStatus().GetObservedGeneration() {
			continue
		}
		m := rs.GetMetadata()
		err := c.client.ReplicaSets(m.GetNamespace()).Delete(ctx, m.GetName(), client.DeleteOptions{PreconditionUID: m.GetUid()})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete old replica set %s of deployment %s: %w", scheme.Key(rs), scheme.Key(d), err)
		}
	}
	return nil
}
