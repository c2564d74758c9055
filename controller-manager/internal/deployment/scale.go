package deployment

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// scaleReplicaSet sets rs's replicas to size and its replica annotations to d's, if either
// changed, and records a scale as an event. It returns rs as stored.
func (c *Controller) scaleReplicaSet(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, size int32) (*appsv1.ReplicaSet, error) {
	from := specReplicas(rs)
	cp := rs.CloneVT()
	annotated := setReplicasAnnotations(cp, replicas(d), replicas(d)+maxSurge(d))
	if from == size && !annotated {
		return rs, nil
	}
	cp.Spec.Replicas = &size
	out, err := c.client.ReplicaSets(cp.GetMetadata().GetNamespace()).Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("scale replica set %s to %d: %w", scheme.Key(rs), size, err)
	}
	if from != size {
		dir := "up"
		if size < from {
			dir = "down"
		}
		c.rec.Eventf(d, events.TypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s to %d from %d", dir, rs.GetMetadata().GetName(), size, from)
	}
	return out, nil
}

// applySizes scales each ReplicaSet of rss that sizes names to its size and returns rss as
// stored, in order. It stops at the first failure.
func (c *Controller) applySizes(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, sizes map[string]int32) ([]*appsv1.ReplicaSet, error) {
	out := slices.Clone(rss)
	for i, rs := range out {
		size, ok := sizes[rs.GetMetadata().GetName()]
		if !ok {
			continue
		}
		updated, err := c.scaleReplicaSet(ctx, d, rs, size)
		if err != nil {
			return nil, err
		}
		out[i] = updated
	}
	return out, nil
}

// isScalingEvent reports whether d's replicas changed since its active ReplicaSets were last
// sized for it.
func isScalingEvent(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) bool {
	for _, rs := range active(rss...) {
		if desired, ok := intAnnotation(rs, DesiredReplicasAnnotation); ok && desired != replicas(d) {
			return true
		}
	}
	return false
}

// saturated reports whether rs alone runs every replica of d, all available.
func saturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := intAnnotation(rs, DesiredReplicasAnnotation)
	return ok && desired == replicas(d) && specReplicas(rs) == replicas(d) && rs.GetStatus().GetAvailableReplicas() == replicas(d)
}

// scaleSizes returns the sizes a scale of d gives its ReplicaSets, by name: the one active
// ReplicaSet (or the latest when none is) takes d's replicas; a saturated new ReplicaSet sends
// the old ones to zero; during a rolling update the change is spread over the active ones.
func scaleSizes(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) map[string]int32 {
	if rs := activeOrLatest(newRS, old); rs != nil {
		if specReplicas(rs) == replicas(d) {
			return nil
		}
		return map[string]int32{rs.GetMetadata().GetName(): replicas(d)}
	}
	if saturated(d, newRS) {
		sizes := map[string]int32{}
		for _, rs := range active(old...) {
			sizes[rs.GetMetadata().GetName()] = 0
		}
		return sizes
	}
	if !isRolling(d) {
		return nil
	}
	return proportionalSizes(d, active(append([]*appsv1.ReplicaSet{newRS}, old...)...))
}

// proportionalSizes spreads a change of d's replicas (plus surge) over its active ReplicaSets in
// proportion to their sizes, as Kubernetes does: each gets its share of the change rounded, the
// rounding leftover going to the largest (the newest among equals on the way up, the oldest on
// the way down), so the total becomes exactly replicas+maxSurge.
func proportionalSizes(d *appsv1.Deployment, act []*appsv1.ReplicaSet) map[string]int32 {
	if len(act) == 0 {
		return nil
	}
	var allowed int32
	if replicas(d) > 0 {
		allowed = replicas(d) + maxSurge(d)
	}
	toAdd := allowed - sumSpec(act...)
	sorted := slices.Clone(act)
	slices.SortFunc(sorted, func(a, b *appsv1.ReplicaSet) int {
		if c := cmp.Compare(specReplicas(b), specReplicas(a)); c != 0 {
			return c
		}
		if toAdd > 0 {
			return byAge(b, a)
		}
		return byAge(a, b)
	})
	sizes := map[string]int32{}
	var added int32
	for _, rs := range sorted {
		var p int32
		if toAdd != 0 {
			p = proportion(d, rs, toAdd, added)
		}
		sizes[rs.GetMetadata().GetName()] = specReplicas(rs) + p
		added += p
	}
	if leftover := toAdd - added; leftover != 0 {
		first := sorted[0].GetMetadata().GetName()
		sizes[first] = max(0, sizes[first]+leftover)
	}
	return sizes
}

// proportion returns rs's share of toAdd replicas when added are given out already: its size
// scaled by the ratio of the Deployment's new maximum to the one it was sized for, never more
// than what is left.
func proportion(d *appsv1.Deployment, rs *appsv1.ReplicaSet, toAdd, added int32) int32 {
	if specReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	f := fraction(d, rs)
	if toAdd > 0 {
		return min(f, toAdd-added)
	}
	return max(f, toAdd-added)
}

// fraction returns how many replicas rs gains (or loses) when its Deployment's maximum moves
// from the one in its max-replicas annotation to d's current one.
func fraction(d *appsv1.Deployment, rs *appsv1.ReplicaSet) int32 {
	if replicas(d) == 0 {
		return -specReplicas(rs)
	}
	want := replicas(d) + maxSurge(d)
	was, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok {
		was = statusOf(d).GetReplicas()
	}
	if was == 0 {
		return 0
	}
	size := float64(specReplicas(rs)) * float64(want) / float64(was)
	return int32(math.Round(size)) - specReplicas(rs)
}

// sync scales d's ReplicaSets to its replicas without rolling out: what a paused Deployment and
// a scale during a rollout get. A paused Deployment's old ReplicaSets are cleaned up too.
func (c *Controller) sync(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	d, newRS, old, err := c.syncRevision(ctx, d, rss, false)
	if err != nil {
		return err
	}
	all := withNew(newRS, old)
	if sizes := scaleSizes(d, newRS, old); len(sizes) > 0 {
		if all, err = c.applySizes(ctx, d, all, sizes); err != nil {
			return err
		}
		newRS, old = splitNew(newRS, all)
	}
	if d.GetSpec().GetPaused() {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	return c.syncStatus(ctx, d, newRS, all)
}

// withNew returns old with newRS in front when there is one.
func withNew(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	if newRS == nil {
		return slices.Clone(old)
	}
	return append([]*appsv1.ReplicaSet{newRS}, old...)
}

// splitNew undoes withNew on all, whose entries may have been replaced by their stored copies.
func splitNew(newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	if newRS == nil {
		return nil, all
	}
	return all[0], all[1:]
}
