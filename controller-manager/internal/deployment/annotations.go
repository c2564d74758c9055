package deployment

import (
	"maps"
	"strconv"
	"strings"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// The annotations the controller writes, as Kubernetes names them.
const (
	// RevisionAnnotation numbers the templates of a Deployment: on each ReplicaSet the revision
	// its template was last rolled out as, on the Deployment that of its current template.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the earlier revisions a ReplicaSet's template had, comma
	// separated, when a rollback made it current again.
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's replicas when the ReplicaSet was last sized.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is the Deployment's replicas plus maxSurge when the ReplicaSet was
	// last sized: the base of a proportional scale.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// lastAppliedAnnotation is kubectl apply's record, which is the Deployment's, not its
	// ReplicaSets'.
	lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
)

// skipCopy reports whether a Deployment annotation is not copied onto its ReplicaSets.
func skipCopy(key string) bool {
	switch key {
	case lastAppliedAnnotation, RevisionAnnotation, RevisionHistoryAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation:
		return true
	}
	return false
}

// revisionOf returns the revision annotation of annotations, 0 when missing or unreadable.
func revisionOf(annotations map[string]string) int64 {
	n, err := strconv.ParseInt(annotations[RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// maxRevision returns the highest revision among rss.
func maxRevision(rss []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, revisionOf(rs.GetMetadata().GetAnnotations()))
	}
	return m
}

// copyDeploymentAnnotations copies d's annotations onto rs (which it changes), except those of
// the controller and kubectl apply's, and reports whether rs changed.
func copyDeploymentAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	changed := false
	for k, v := range d.GetMetadata().GetAnnotations() {
		if skipCopy(k) {
			continue
		}
		if cur, ok := rs.Metadata.Annotations[k]; ok && cur == v {
			continue
		}
		if rs.Metadata.Annotations == nil {
			rs.Metadata.Annotations = map[string]string{}
		}
		rs.Metadata.Annotations[k] = v
		changed = true
	}
	return changed
}

// setNewReplicaSetAnnotations brings the annotations of the new ReplicaSet rs (which it changes)
// to revision newRevision: the Deployment's own annotations are copied, a lower revision is
// replaced and, for a ReplicaSet that existed before, kept in the revision history. A
// ReplicaSet being created also gets the replica annotations. It reports whether rs changed.
func setNewReplicaSetAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision int64, existed bool) bool {
	before := maps.Clone(rs.GetMetadata().GetAnnotations())
	copyDeploymentAnnotations(d, rs)
	if rs.Metadata.Annotations == nil {
		rs.Metadata.Annotations = map[string]string{}
	}
	a := rs.Metadata.Annotations
	old, hadRevision := a[RevisionAnnotation]
	if revisionOf(a) < newRevision {
		a[RevisionAnnotation] = strconv.FormatInt(newRevision, 10)
		if existed && hadRevision && old != "" {
			if h := a[RevisionHistoryAnnotation]; h != "" {
				a[RevisionHistoryAnnotation] = h + "," + old
			} else {
				a[RevisionHistoryAnnotation] = old
			}
		}
	}
	if !existed {
		setReplicasAnnotations(rs, replicas(d), replicas(d)+maxSurge(d))
	}
	return !maps.Equal(before, a)
}

// setReplicasAnnotations records on rs (which it changes) the Deployment's desired replicas and
// its maximum with surge, and reports whether they changed.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	if rs.Metadata.Annotations == nil {
		rs.Metadata.Annotations = map[string]string{}
	}
	a := rs.Metadata.Annotations
	d, m := strconv.Itoa(int(desired)), strconv.Itoa(int(maxReplicas))
	if a[DesiredReplicasAnnotation] == d && a[MaxReplicasAnnotation] == m {
		return false
	}
	a[DesiredReplicasAnnotation], a[MaxReplicasAnnotation] = d, m
	return true
}

// intAnnotation reads an int32 annotation of rs.
func intAnnotation(rs *appsv1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.GetMetadata().GetAnnotations()[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}
