package job

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/labels"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Condition types and reasons of a Job, as Kubernetes names them.
const (
	ConditionComplete = "Complete"
	ConditionFailed   = "Failed"

	ReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	ReasonDeadlineExceeded     = "DeadlineExceeded"
)

// tally is what a Job's pods say.
type tally struct {
	active    []*corev1.Pod // neither terminated nor being deleted
	ready     int32
	succeeded int32
	failed    int32
	completed map[int]bool // Indexed: the indexes with a succeeded pod
	// lastSuccess and lastFailure are the latest times a pod succeeded and failed; failures
	// counts the failures after lastSuccess, which the backoff doubles on.
	lastSuccess, lastFailure time.Time
	failures                 int
}

// count sorts pods by what they say.
func count(job *batchv1.Job, pods []*corev1.Pod) tally {
	t := tally{completed: map[int]bool{}}
	indexed := isIndexed(job)
	completions := int(job.GetSpec().GetCompletions())
	var failedAt []time.Time
	for _, pod := range pods {
		switch pod.GetStatus().GetPhase() {
		case "Succeeded":
			t.succeeded++
			if i, ok := podIndex(pod, completions); ok && indexed {
				t.completed[i] = true
			}
			if at := finishedAt(pod); at.After(t.lastSuccess) {
				t.lastSuccess = at
			}
		case "Failed":
			t.failed++
			at := finishedAt(pod)
			failedAt = append(failedAt, at)
			if at.After(t.lastFailure) {
				t.lastFailure = at
			}
		default:
			if pod.GetMetadata().GetDeletionTimestamp() == nil {
				t.active = append(t.active, pod)
				if isReady(pod) {
					t.ready++
				}
			}
		}
	}
	for _, at := range failedAt {
		if at.After(t.lastSuccess) {
			t.failures++
		}
	}
	return t
}

// finishedAt returns when pod terminated: the latest finishedAt of its containers, else the
// latest transition of its conditions, else its creation.
func finishedAt(pod *corev1.Pod) time.Time {
	var at time.Time
	for _, cs := range slices.Concat(pod.GetStatus().GetInitContainerStatuses(), pod.GetStatus().GetContainerStatuses()) {
		if f := cs.GetState().GetTerminated().GetFinishedAt(); f != nil && f.AsTime().After(at) {
			at = f.AsTime()
		}
	}
	if at.IsZero() {
		for _, cond := range pod.GetStatus().GetConditions() {
			if t := cond.GetLastTransitionTime(); t != nil && t.AsTime().After(at) {
				at = t.AsTime()
			}
		}
	}
	if at.IsZero() {
		at = pod.GetMetadata().GetCreationTimestamp().AsTime()
	}
	return at
}

func isIndexed(job *batchv1.Job) bool { return job.GetSpec().GetCompletionMode() == "Indexed" }

// finished returns the Job's True Complete or Failed condition, or nil.
func finished(job *batchv1.Job) *batchv1.JobCondition {
	for _, cond := range job.GetStatus().GetConditions() {
		if (cond.GetType() == ConditionComplete || cond.GetType() == ConditionFailed) && cond.GetStatus() == "True" {
			return cond
		}
	}
	return nil
}

// reconcile runs the Job named by key one step and writes its status.
func (c *Controller) reconcile(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued: nothing to retry
	}
	job, ok := c.jobs.Lister().Get(ns, name)
	if !ok {
		c.expectations.Delete(key)
		return controller.Result{}, nil
	}
	if cond := finished(job); cond != nil {
		return c.expire(ctx, job, cond)
	}
	if job.GetSpec().GetSelector() == nil {
		c.recorder.Eventf(job, events.TypeWarning, "InvalidSelector", "Job has no selector")
		return controller.Result{}, nil
	}
	sel, err := labels.FromLabelSelector(job.GetSpec().GetSelector())
	if err != nil {
		c.recorder.Eventf(job, events.TypeWarning, "InvalidSelector", "Invalid selector: %v", err)
		return controller.Result{}, nil // retrying cannot fix the spec; an update requeues it
	}
	// Read the expectations before the pods: once met, the cache holds every write they counted.
	satisfied := c.expectations.Satisfied(key)
	pods, err := c.claimPods(ctx, job, sel)
	if err != nil {
		return controller.Result{}, err
	}
	now := c.clock.Now()
	t := count(job, pods)
	st := job.GetStatus().CloneVT()
	if st == nil {
		st = &batchv1.JobStatus{}
	}
	suspended := job.GetSpec().GetSuspend()
	if st.StartTime == nil && !suspended {
		st.StartTime = timestamppb.New(now)
	}
	// The counts never go down: a counted pod removed since stays counted.
	st.Failed = max(st.Failed, t.failed)
	if isIndexed(job) {
		for i := range parseIndexes(st.GetCompletedIndexes(), int(job.GetSpec().GetCompletions())) {
			t.completed[i] = true
		}
		st.CompletedIndexes = formatIndexes(t.completed)
		st.Succeeded = int32(len(t.completed))
	} else {
		st.Succeeded = max(st.Succeeded, t.succeeded)
	}

	var res controller.Result
	var manageErr error
	st.Active = int32(len(t.active))
	if cond := c.outcome(job, st, t, now); cond != nil {
		// Stop the pods before saying so: a finished Job is not reconciled again.
		manageErr = c.deletePods(ctx, key, job, t.active)
		if manageErr == nil {
			c.finish(job, st, cond, now)
			st.Active, t.ready = 0, 0
		}
	} else {
		if satisfied && job.GetMetadata().GetDeletionTimestamp() == nil {
			var created, deleted int
			created, deleted, res, manageErr = c.manage(ctx, key, job, st, t, now)
			st.Active += int32(created - deleted)
		}
		if ads := job.Spec.ActiveDeadlineSeconds; ads != nil && st.StartTime != nil && !suspended {
			res = soonest(res, st.StartTime.AsTime().Add(time.Duration(*ads)*time.Second).Sub(now))
		}
	}
	ready := t.ready
	st.Ready = &ready
	if err := c.updateStatus(ctx, job, st); err != nil {
		return controller.Result{}, errors.Join(manageErr, err)
	}
	if manageErr != nil {
		return controller.Result{}, manageErr
	}
	if cond := finished(&batchv1.Job{Status: st}); cond != nil {
		// A TTL counts from now on: come back when it ends.
		if ttl := job.GetSpec().TtlSecondsAfterFinished; ttl != nil {
			res = soonest(res, time.Duration(*ttl)*time.Second)
		}
	}
	return res, nil
}

// soonest returns res requeued after d, unless it already requeues sooner; d <= 0 requeues at once.
func soonest(res controller.Result, d time.Duration) controller.Result {
	d = max(d, time.Millisecond)
	if res.RequeueAfter == 0 || d < res.RequeueAfter {
		res.RequeueAfter = d
	}
	return res
}

// outcome returns the condition that ends the Job now, or nil while it runs on.
func (c *Controller) outcome(job *batchv1.Job, st *batchv1.JobStatus, t tally, now time.Time) *batchv1.JobCondition {
	spec := job.GetSpec()
	switch {
	case spec.BackoffLimit != nil && st.GetFailed() > spec.GetBackoffLimit():
		return &batchv1.JobCondition{Type: ConditionFailed, Reason: ReasonBackoffLimitExceeded, Message: "Job has reached the specified backoff limit"}
	case spec.ActiveDeadlineSeconds != nil && st.StartTime != nil && !spec.GetSuspend() &&
		!now.Before(st.StartTime.AsTime().Add(time.Duration(spec.GetActiveDeadlineSeconds())*time.Second)):
		return &batchv1.JobCondition{Type: ConditionFailed, Reason: ReasonDeadlineExceeded, Message: "Job was active longer than specified deadline"}
	case spec.Completions != nil && st.GetSucceeded() >= spec.GetCompletions(),
		spec.Completions == nil && st.GetSucceeded() > 0 && len(t.active) == 0:
		return &batchv1.JobCondition{Type: ConditionComplete}
	}
	return nil
}

// finish writes cond into st, with completionTime for a complete Job, and records it.
func (c *Controller) finish(job *batchv1.Job, st *batchv1.JobStatus, cond *batchv1.JobCondition, now time.Time) {
	ts := timestamppb.New(now)
	cond.Status, cond.LastProbeTime, cond.LastTransitionTime = "True", ts, ts
	st.Conditions = append(st.Conditions, cond)
	if cond.GetType() == ConditionComplete {
		st.CompletionTime = ts
		c.recorder.Eventf(job, events.TypeNormal, "Completed", "Job completed")
		return
	}
	c.recorder.Eventf(job, events.TypeWarning, cond.GetReason(), "%s", cond.GetMessage())
}

// expire deletes a finished Job whose ttlSecondsAfterFinished has passed, with background
// propagation so that the garbage collector removes its pods; it requeues a Job whose TTL is
// still running.
func (c *Controller) expire(ctx context.Context, job *batchv1.Job, cond *batchv1.JobCondition) (controller.Result, error) {
	ttl := job.GetSpec().TtlSecondsAfterFinished
	if ttl == nil || job.GetMetadata().GetDeletionTimestamp() != nil {
		return controller.Result{}, nil
	}
	at := cond.GetLastTransitionTime().AsTime()
	if ct := job.GetStatus().GetCompletionTime(); ct != nil {
		at = ct.AsTime()
	}
	if wait := at.Add(time.Duration(*ttl) * time.Second).Sub(c.clock.Now()); wait > 0 {
		return controller.Result{RequeueAfter: wait}, nil
	}
	return controller.Result{}, c.deleteJob(ctx, job)
}
