package deployment

import (
	"cmp"
	"slices"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// specReplicas returns the replicas rs asks for; unset is one, as the API defaults it.
func specReplicas(rs *appsv1.ReplicaSet) int32 {
	if r := rs.GetSpec().Replicas; r != nil {
		return *r
	}
	return 1
}

// sumSpec, sumStatus, sumReady and sumAvailable add up the replicas of rss (nil entries count
// zero): asked for, existing, ready and available.
func sumSpec(rss ...*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += specReplicas(rs)
		}
	}
	return n
}

func sumStatus(rss ...*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += rs.GetStatus().GetReplicas()
	}
	return n
}

func sumReady(rss ...*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += rs.GetStatus().GetReadyReplicas()
	}
	return n
}

func sumAvailable(rss ...*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		n += rs.GetStatus().GetAvailableReplicas()
	}
	return n
}

// podsOf returns how many pods of rs may be running: its replicas, or more while pods beyond
// them have not yet been seen going (its status counts them until its controller sees their
// deletion). The surge is bounded on this, so that pods, not only replicas, stay within it.
func podsOf(rs *appsv1.ReplicaSet) int32 {
	return max(specReplicas(rs), rs.GetStatus().GetReplicas())
}

// availableOf returns how many available pods rs keeps once it has its replicas: its status may
// still count pods it is deleting, and it deletes unavailable pods before available ones.
func availableOf(rs *appsv1.ReplicaSet) int32 {
	if rs == nil {
		return 0
	}
	return min(rs.GetStatus().GetAvailableReplicas(), specReplicas(rs))
}

// byAge orders ReplicaSets oldest first, by name when created in the same second.
func byAge(a, b *appsv1.ReplicaSet) int {
	ta, tb := a.GetMetadata().GetCreationTimestamp().AsTime(), b.GetMetadata().GetCreationTimestamp().AsTime()
	if c := ta.Compare(tb); c != 0 {
		return c
	}
	return cmp.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName())
}

// findNewReplicaSet returns the ReplicaSet of d's current template, the oldest when several
// match (a collision that created a second one), or nil.
func findNewReplicaSet(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	sorted := slices.Clone(rss)
	slices.SortFunc(sorted, byAge)
	for _, rs := range sorted {
		if equalIgnoreHash(rs.GetSpec().GetTemplate(), d.GetSpec().GetTemplate()) {
			return rs
		}
	}
	return nil
}

// split returns the new ReplicaSet of d among rss and the others.
func split(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet) {
	newRS := findNewReplicaSet(d, rss)
	var old []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != newRS {
			old = append(old, rs)
		}
	}
	return newRS, old
}

// active returns the ReplicaSets of rss (nil entries skipped) that ask for replicas.
func active(rss ...*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != nil && specReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// activeOrLatest returns the one ReplicaSet that asks for replicas, or when none does the new one
// or else the newest old one; nil when several ask for replicas.
func activeOrLatest(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(old) == 0 {
		return nil
	}
	act := active(append([]*appsv1.ReplicaSet{newRS}, old...)...)
	switch len(act) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return slices.MaxFunc(old, byAge)
	case 1:
		return act[0]
	}
	return nil
}
