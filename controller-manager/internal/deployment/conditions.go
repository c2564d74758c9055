package deployment

import (
	"math"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// The condition types and reasons, as Kubernetes names them.
const (
	Progressing = "Progressing"
	Available   = "Available"

	NewRSReason                = "NewReplicaSetCreated"
	FoundNewRSReason           = "FoundNewReplicaSet"
	RSUpdatedReason            = "ReplicaSetUpdated"
	NewRSAvailableReason       = "NewReplicaSetAvailable"
	TimedOutReason             = "ProgressDeadlineExceeded"
	FailedRSCreateReason       = "ReplicaSetCreateError"
	PausedReason               = "DeploymentPaused"
	ResumedReason              = "DeploymentResumed"
	MinimumReplicasAvailable   = "MinimumReplicasAvailable"
	MinimumReplicasUnavailable = "MinimumReplicasUnavailable"
)

// statusOf returns d's status, an empty one when unset.
func statusOf(d *appsv1.Deployment) *appsv1.DeploymentStatus {
	if d.GetStatus() == nil {
		return &appsv1.DeploymentStatus{}
	}
	return d.GetStatus()
}

// hasProgressDeadline reports whether d reports progress: progressDeadlineSeconds set and not
// the "never" value.
func hasProgressDeadline(d *appsv1.Deployment) bool {
	p := d.GetSpec().ProgressDeadlineSeconds
	return p != nil && *p != math.MaxInt32
}

// newCondition returns a condition that changed at now (to the second, as the API keeps time).
func newCondition(condType, status, reason, message string, now time.Time) *appsv1.DeploymentCondition {
	ts := timestamppb.New(now.Truncate(time.Second))
	return &appsv1.DeploymentCondition{
		Type: condType, Status: status, Reason: reason, Message: message, LastUpdateTime: ts, LastTransitionTime: ts,
	}
}

// condition returns st's condition of condType, or nil.
func condition(st *appsv1.DeploymentStatus, condType string) *appsv1.DeploymentCondition {
	for _, c := range st.GetConditions() {
		if c.GetType() == condType {
			return c
		}
	}
	return nil
}

// setCondition puts cond into st unless a condition of its type already says the same status
// for the same reason; a condition keeping its status keeps its transition time.
func setCondition(st *appsv1.DeploymentStatus, cond *appsv1.DeploymentCondition) {
	cur := condition(st, cond.GetType())
	if cur != nil && cur.GetStatus() == cond.GetStatus() && cur.GetReason() == cond.GetReason() {
		return
	}
	if cur != nil && cur.GetStatus() == cond.GetStatus() {
		cond.LastTransitionTime = cur.GetLastTransitionTime()
	}
	removeCondition(st, cond.GetType())
	st.Conditions = append(st.Conditions, cond)
}

// removeCondition drops st's condition of condType.
func removeCondition(st *appsv1.DeploymentStatus, condType string) {
	kept := st.Conditions[:0]
	for _, c := range st.Conditions {
		if c.GetType() != condType {
			kept = append(kept, c)
		}
	}
	st.Conditions = kept
}
