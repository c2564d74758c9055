package deployment

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/controller"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// calculateStatus returns d's status for its ReplicaSets: their counts, d's generation, and the
// Available condition, true while at most maxUnavailable replicas are unavailable. Other
// conditions are kept as d has them.
func (c *Controller) calculateStatus(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) *appsv1.DeploymentStatus {
	cur := statusOf(d)
	avail := sumAvailable(all...)
	st := &appsv1.DeploymentStatus{
		ObservedGeneration:  d.GetMetadata().GetGeneration(),
		Replicas:            sumStatus(all...),
		UpdatedReplicas:     newRS.GetStatus().GetReplicas(),
		ReadyReplicas:       sumReady(all...),
		AvailableReplicas:   avail,
		UnavailableReplicas: max(0, sumSpec(all...)-avail),
		CollisionCount:      cur.CollisionCount,
	}
	for _, cond := range cur.GetConditions() {
		st.Conditions = append(st.Conditions, cond.CloneVT())
	}
	if avail >= replicas(d)-maxUnavailable(d) {
		setCondition(st, newCondition(Available, "True", MinimumReplicasAvailable, "Deployment has minimum availability.", c.clock.Now()))
	} else {
		setCondition(st, newCondition(Available, "False", MinimumReplicasUnavailable, "Deployment does not have minimum availability.", c.clock.Now()))
	}
	return st
}

// complete reports whether st says d has rolled out: every replica updated and available, and
// no more, for d's current generation.
func complete(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	n := replicas(d)
	return st.GetUpdatedReplicas() == n && st.GetReplicas() == n && st.GetAvailableReplicas() == n &&
		st.GetObservedGeneration() >= d.GetMetadata().GetGeneration()
}

// progressing reports whether st moved the rollout on from d's last status: more updated,
// ready or available replicas, or fewer old ones.
func progressing(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	was := statusOf(d)
	return st.GetUpdatedReplicas() > was.GetUpdatedReplicas() ||
		st.GetReplicas()-st.GetUpdatedReplicas() < was.GetReplicas()-was.GetUpdatedReplicas() ||
		st.GetReadyReplicas() > was.GetReadyReplicas() ||
		st.GetAvailableReplicas() > was.GetAvailableReplicas()
}

// timedOut reports whether the Progressing condition of st is older than d's deadline, or says
// it already is.
func timedOut(d *appsv1.Deployment, st *appsv1.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := condition(st, Progressing)
	switch {
	case cond == nil || cond.GetReason() == NewRSAvailableReason:
		return false
	case cond.GetReason() == TimedOutReason:
		return true
	}
	deadline := time.Duration(d.GetSpec().GetProgressDeadlineSeconds()) * time.Second
	return cond.GetLastUpdateTime().AsTime().Add(deadline).Before(now)
}

// syncRolloutStatus writes d's status after a rollout step: the counts, and the Progressing
// condition moved to NewReplicaSetAvailable when complete, refreshed as ReplicaSetUpdated while
// progressing, or ProgressDeadlineExceeded once nothing progressed for progressDeadlineSeconds.
// It returns when to look again for a deadline that may pass.
func (c *Controller) syncRolloutStatus(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) (controller.Result, error) {
	now := c.clock.Now()
	st := c.calculateStatus(d, newRS, all)
	if !hasProgressDeadline(d) {
		removeCondition(st, Progressing)
	}
	cur := condition(st, Progressing)
	done := st.GetReplicas() == st.GetUpdatedReplicas() && cur != nil && cur.GetReason() == NewRSAvailableReason
	if hasProgressDeadline(d) && !done {
		switch {
		case complete(d, st):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.GetMetadata().GetName())
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.GetMetadata().GetName())
			}
			setCondition(st, newCondition(Progressing, "True", NewRSAvailableReason, msg, now))
		case progressing(d, st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.GetMetadata().GetName())
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.GetMetadata().GetName())
			}
			cond := newCondition(Progressing, "True", RSUpdatedReason, msg, now)
			// Progress renews the update time (the deadline counts from it) but is no transition.
			if cur != nil && cur.GetStatus() == "True" {
				cond.LastTransitionTime = cur.GetLastTransitionTime()
			}
			removeCondition(st, Progressing)
			st.Conditions = append(st.Conditions, cond)
		case timedOut(d, st, now):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.GetMetadata().GetName())
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.GetMetadata().GetName())
			}
			setCondition(st, newCondition(Progressing, "False", TimedOutReason, msg, now))
		}
	}
	res := controller.Result{RequeueAfter: c.untilDeadline(d, st, now)}
	if proto.Equal(st, statusOf(d)) {
		return res, nil
	}
	d.Status = st
	_, err := c.updateStatus(ctx, d)
	return res, err
}

// untilDeadline returns how long until a rollout that has not progressed by then passes its
// deadline (just after it), or zero when there is no deadline to watch.
func (c *Controller) untilDeadline(d *appsv1.Deployment, st *appsv1.DeploymentStatus, now time.Time) time.Duration {
	cond := condition(st, Progressing)
	if !hasProgressDeadline(d) || cond == nil || complete(d, st) || cond.GetReason() == TimedOutReason ||
		cond.GetReason() == NewRSAvailableReason {
		return 0
	}
	deadline := time.Duration(d.GetSpec().GetProgressDeadlineSeconds()) * time.Second
	after := cond.GetLastUpdateTime().AsTime().Add(deadline).Sub(now)
	return max(after, 0) + 100*time.Millisecond
}

// syncStatus writes d's status for its ReplicaSets when it changed.
func (c *Controller) syncStatus(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) error {
	st := c.calculateStatus(d, newRS, all)
	if proto.Equal(st, statusOf(d)) {
		return nil
	}
	d.Status = st
	_, err := c.updateStatus(ctx, d)
	return err
}

// syncStatusOnly writes the status of a Deployment being deleted.
func (c *Controller) syncStatusOnly(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	newRS, _ := split(d, rss)
	return c.syncStatus(ctx, d, newRS, rss)
}

// checkPaused moves the Progressing condition to DeploymentPaused when d was paused and to
// DeploymentResumed when it was resumed, so the deadline does not count the pause; a rollout
// past its deadline keeps saying so. It returns d as stored.
func (c *Controller) checkPaused(ctx context.Context, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	if !hasProgressDeadline(d) {
		return d, nil
	}
	cond := condition(d.GetStatus(), Progressing)
	if cond != nil && cond.GetReason() == TimedOutReason {
		return d, nil
	}
	pausedCond := cond != nil && cond.GetReason() == PausedReason
	paused := d.GetSpec().GetPaused()
	switch {
	case paused && !pausedCond:
		d.Status = statusOf(d)
		setCondition(d.Status, newCondition(Progressing, "Unknown", PausedReason, "Deployment is paused", c.clock.Now()))
	case !paused && pausedCond:
		d.Status = statusOf(d)
		setCondition(d.Status, newCondition(Progressing, "Unknown", ResumedReason, "Deployment is resumed", c.clock.Now()))
	default:
		return d, nil
	}
	return c.updateStatus(ctx, d)
}
