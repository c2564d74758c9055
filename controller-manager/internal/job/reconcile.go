package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
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
	active []*corev1.Pod // neither terminated nor being deleted
	ready  int32
	// lastSuccess and lastFailure are the latest times a pod succeeded and failed; failures
	// counts the failures after lastSuccess, which the backoff doubles on.
	lastSuccess, lastFailure time.Time
	failures                 int
}

// count sorts pods by what they say. The Job's counts of succeeded and failed pods are not
// read from here but from its status, which track keeps.
func count(pods []*corev1.Pod) tally {
	var t tally
	var failedAt []time.Time
	for _, pod := range pods {
		switch pod.GetStatus().GetPhase() {
		case "Succeeded":
			if at := finishedAt(pod); at.After(t.lastSuccess) {
				t.lastSuccess = at
			}
		case "Failed":
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
		return controller.Result{}, c.releaseStale(ctx, key, ns, name, "")
	}
	if err := c.releaseStale(ctx, key, ns, name, job.GetMetadata().GetUid()); err != nil {
		return controller.Result{}, err
	}
	if cond := finished(job); cond != nil {
		return c.expire(ctx, key, job, cond)
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
	t := count(pods)
	suspended := job.GetSpec().GetSuspend()
	base := job.GetStatus().CloneVT()
	if base == nil {
		base = &batchv1.JobStatus{}
	}
	if base.StartTime == nil && !suspended {
		base.StartTime = timestamppb.New(now)
	}
	base.Active = int32(len(t.active))
	base.Ready = proto.Int32(t.ready)

	st := base.CloneVT()
	tr := c.track(key, job, st, pods, false)
	cond := c.outcome(job, st, t, now)
	if cond != nil {
		// Finishing: every pod not yet counted is counted, the running ones as failed.
		st = base.CloneVT()
		tr = c.track(key, job, st, pods, true)
		st.Active, st.Ready = 0, proto.Int32(0)
	}
	// Say which pods are about to be counted before their finalizers go.
	if job, err = c.updateStatus(ctx, job, st); err != nil {
		return controller.Result{}, err
	}
	var res controller.Result
	var manageErr error
	switch {
	case cond != nil:
		manageErr = c.deletePods(ctx, key, job, t.active)
	case satisfied && job.GetMetadata().GetDeletionTimestamp() == nil:
		var created, deleted int
		created, deleted, res, manageErr = c.manage(ctx, key, job, st, t, now)
		st.Active += int32(created - deleted)
	}
	if ads := job.Spec.ActiveDeadlineSeconds; cond == nil && ads != nil && st.StartTime != nil && !suspended {
		res = soonest(res, st.StartTime.AsTime().Add(time.Duration(*ads)*time.Second).Sub(now))
	}
	rmErr := c.removeFinalizers(ctx, key, tr.release, tr.withFinalizer)
	settle(st, tr.withFinalizer)
	if cond != nil && manageErr == nil && rmErr == nil && uncounted(st) == 0 {
		c.finish(job, st, cond, now)
		if ttl := job.GetSpec().TtlSecondsAfterFinished; ttl != nil {
			res = soonest(res, time.Duration(*ttl)*time.Second) // the TTL counts from now
		}
	}
	if _, err := c.updateStatus(ctx, job, st); err != nil {
		return controller.Result{}, errors.Join(manageErr, rmErr, err)
	}
	if err := errors.Join(manageErr, rmErr); err != nil {
		return controller.Result{}, err
	}
	if cond != nil && finished(&batchv1.Job{Status: st}) == nil {
		return controller.Result{}, fmt.Errorf("job %s: %d pods still to count before it can finish", key, uncounted(st))
	}
	return res, nil
}

// succeededCount returns the pods st counts as succeeded, those still uncounted included.
func succeededCount(st *batchv1.JobStatus) int32 {
	return st.GetSucceeded() + int32(len(st.GetUncountedTerminatedPods().GetSucceeded()))
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
	failed := st.GetFailed() + int32(len(st.GetUncountedTerminatedPods().GetFailed()))
	succeeded := succeededCount(st)
	switch {
	case spec.BackoffLimit != nil && failed > spec.GetBackoffLimit():
		return &batchv1.JobCondition{Type: ConditionFailed, Reason: ReasonBackoffLimitExceeded, Message: "Job has reached the specified backoff limit"}
	case spec.ActiveDeadlineSeconds != nil && st.StartTime != nil && !spec.GetSuspend() &&
		!now.Before(st.StartTime.AsTime().Add(time.Duration(spec.GetActiveDeadlineSeconds())*time.Second)):
		return &batchv1.JobCondition{Type: ConditionFailed, Reason: ReasonDeadlineExceeded, Message: "Job was active longer than specified deadline"}
	case spec.Completions != nil && succeeded >= spec.GetCompletions(),
		spec.Completions == nil && succeeded > 0 && len(t.active) == 0:
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
func (c *Controller) expire(ctx context.Context, key string, job *batchv1.Job, cond *batchv1.JobCondition) (controller.Result, error) {
	// A finished Job counts nothing more: its pods keep no finalizer.
	var held []*corev1.Pod
	for _, pod := range c.pods.Lister().ListNamespace(job.GetMetadata().GetNamespace()) {
		if ref := podclaim.ControllerRef(pod.GetMetadata()); ref != nil && ref.GetUid() == job.GetMetadata().GetUid() &&
			hasFinalizer(pod) && !c.removals.pending(key, pod.GetMetadata().GetUid()) {
			held = append(held, pod)
		}
	}
	if err := c.removeFinalizers(ctx, key, held, map[string]bool{}); err != nil {
		return controller.Result{}, err
	}
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
