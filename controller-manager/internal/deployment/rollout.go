package deployment

import (
	"context"
	"slices"

	"github.com/keelson-dev/keelson/pkg/controller"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// rolloutRolling takes one step of a rolling update: grow the new ReplicaSet within the surge;
// failing that, shrink the old ones within the unavailability; once complete, clean up.
func (c *Controller) rolloutRolling(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) (controller.Result, error) {
	d, newRS, old, err := c.syncRevision(ctx, d, rss, true)
	if err != nil {
		return controller.Result{}, err
	}
	all := withNew(newRS, old)
	if size := newRSReplicas(d, all, newRS); size != specReplicas(newRS) || specReplicas(newRS) > replicas(d) {
		if specReplicas(newRS) > replicas(d) {
			size = replicas(d)
		}
		if newRS, err = c.scaleReplicaSet(ctx, d, newRS, size); err != nil {
			return controller.Result{}, err
		}
		return c.syncRolloutStatus(ctx, d, newRS, withNew(newRS, old))
	}
	if sizes := oldScaleDown(d, newRS, old); len(sizes) > 0 {
		if old, err = c.applySizes(ctx, d, old, sizes); err != nil {
			return controller.Result{}, err
		}
		return c.syncRolloutStatus(ctx, d, newRS, withNew(newRS, old))
	}
	if complete(d, c.calculateStatus(d, newRS, all)) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return controller.Result{}, err
		}
	}
	return c.syncRolloutStatus(ctx, d, newRS, all)
}

// oldScaleDown returns the sizes the old ReplicaSets of a rolling update shrink to now, by name,
// keeping replicas-maxUnavailable pods available: first the replicas that are not available
// (oldest ReplicaSet first), then available ones beyond the minimum. A ReplicaSet counts no more
// available pods than its replicas (see availableOf), so a status that still counts pods being
// deleted cannot take availability below the minimum.
func oldScaleDown(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) map[string]int32 {
	if sumSpec(old...) == 0 {
		return nil
	}
	all := withNew(newRS, old)
	minAvailable := replicas(d) - maxUnavailable(d)
	newUnavailable := sumSpec(newRS) - availableOf(newRS)
	maxScaledDown := sumSpec(all...) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return nil
	}
	sorted := slices.Clone(old)
	slices.SortFunc(sorted, byAge)
	sizes := map[string]int32{}
	size := func(rs *appsv1.ReplicaSet) int32 {
		if s, ok := sizes[rs.GetMetadata().GetName()]; ok {
			return s
		}
		return specReplicas(rs)
	}
	var cleaned int32
	for _, rs := range sorted {
		if cleaned >= maxScaledDown {
			break
		}
		unhealthy := specReplicas(rs) - availableOf(rs)
		if specReplicas(rs) == 0 || unhealthy <= 0 {
			continue
		}
		n := min(maxScaledDown-cleaned, unhealthy)
		sizes[rs.GetMetadata().GetName()] = specReplicas(rs) - n
		cleaned += n
	}
	var available int32
	for _, rs := range all {
		available += availableOf(rs)
	}
	if available > minAvailable {
		total := available - minAvailable
		var scaled int32
		for _, rs := range sorted {
			if scaled >= total {
				break
			}
			if size(rs) == 0 {
				continue
			}
			n := min(size(rs), total-scaled)
			sizes[rs.GetMetadata().GetName()] = size(rs) - n
			scaled += n
		}
	}
	for _, rs := range old {
		if s, ok := sizes[rs.GetMetadata().GetName()]; ok && s == specReplicas(rs) {
			delete(sizes, rs.GetMetadata().GetName())
		}
	}
	return sizes
}

// rolloutRecreate takes one step of a Recreate rollout: scale every old ReplicaSet to zero, wait
// until their pods are gone, then create or grow the new one to the replicas.
func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) (controller.Result, error) {
	d, newRS, old, err := c.syncRevision(ctx, d, rss, false)
	if err != nil {
		return controller.Result{}, err
	}
	sizes := map[string]int32{}
	for _, rs := range active(old...) {
		sizes[rs.GetMetadata().GetName()] = 0
	}
	if len(sizes) > 0 {
		if old, err = c.applySizes(ctx, d, old, sizes); err != nil {
			return controller.Result{}, err
		}
		return c.syncRolloutStatus(ctx, d, newRS, withNew(newRS, old))
	}
	if c.oldPodsRunning(newRS, old) {
		return c.syncRolloutStatus(ctx, d, newRS, withNew(newRS, old))
	}
	if newRS == nil {
		if d, newRS, old, err = c.syncRevision(ctx, d, rss, true); err != nil {
			return controller.Result{}, err
		}
	}
	if newRS, err = c.scaleReplicaSet(ctx, d, newRS, replicas(d)); err != nil {
		return controller.Result{}, err
	}
	all := withNew(newRS, old)
	if complete(d, c.calculateStatus(d, newRS, all)) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return controller.Result{}, err
		}
	}
	return c.syncRolloutStatus(ctx, d, newRS, all)
}

// oldPodsRunning reports whether any pod of the old ReplicaSets has not terminated yet, counting
// those being deleted: Recreate never runs old and new pods together.
func (c *Controller) oldPodsRunning(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) bool {
	if sumStatus(old...) > 0 {
		return true
	}
	uids := map[string]bool{}
	ns := ""
	for _, rs := range old {
		uids[rs.GetMetadata().GetUid()] = true
		ns = rs.GetMetadata().GetNamespace()
	}
	if len(uids) == 0 {
		return false
	}
	for _, pod := range c.pods.Lister().ListNamespace(ns) {
		ref := controllerRef(pod.GetMetadata())
		if ref == nil || !uids[ref.GetUid()] || (newRS != nil && ref.GetUid() == newRS.GetMetadata().GetUid()) {
			continue
		}
		if !terminated(pod) {
			return true
		}
	}
	return false
}

// terminated reports whether pod's containers have all stopped for good.
func terminated(pod *corev1.Pod) bool {
	phase := pod.GetStatus().GetPhase()
	return phase == "Failed" || phase == "Succeeded"
}
