package job

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// manage creates and deletes pods so that the running Job has as many active pods as it wants,
// and returns how many it created and deleted. New pods wait out the pod-failure backoff; the
// result requeues the Job when the backoff ends.
func (c *Controller) manage(ctx context.Context, key string, job *batchv1.Job, st *batchv1.JobStatus, t tally, now time.Time) (created, deleted int, res controller.Result, err error) {
	spec := job.GetSpec()
	want := int(spec.GetParallelism())
	if spec.Parallelism == nil {
		want = 1
	}
	if spec.GetSuspend() {
		want = 0
	}
	var surplus []*corev1.Pod
	var missing []int // the pods to create: their indexes, -1 without one
	if isIndexed(job) {
		surplus, missing = planIndexed(job, t, parseIndexes(st.GetCompletedIndexes(), int(spec.GetCompletions())), want)
	} else {
		switch {
		case spec.Completions != nil:
			want = min(want, int(spec.GetCompletions()-succeededCount(st)))
		case succeededCount(st) > 0:
			want = min(want, len(t.active)) // one pod succeeded: let the others finish, start none
		}
		want = max(want, 0)
		active := slices.Clone(t.active)
		if len(active) > want {
			slices.SortFunc(active, byDeletionCost)
			surplus = active[:len(active)-want]
		}
		for range want - len(active) {
			missing = append(missing, -1)
		}
	}
	if err := c.deletePods(ctx, key, job, surplus); err != nil {
		return 0, 0, res, err
	}
	deleted = len(surplus)
	if len(missing) == 0 {
		return 0, deleted, res, nil
	}
	if wait := c.backoffRemaining(t, now); wait > 0 {
		return 0, deleted, controller.Result{RequeueAfter: wait}, nil
	}
	created, err = c.createPods(ctx, key, job, missing)
	return created, deleted, res, err
}

// planIndexed returns the active pods of an Indexed Job to delete (an invalid index, an index
// already completed, a second pod of an index, beyond parallelism) and the indexes to start,
// lowest first, up to want active pods.
func planIndexed(job *batchv1.Job, t tally, completed map[int]bool, want int) (surplus []*corev1.Pod, missing []int) {
	completions := int(job.GetSpec().GetCompletions())
	byIndex := map[int]*corev1.Pod{}
	active := slices.Clone(t.active)
	// The most valuable pod of an index is kept: visit them last-to-delete first.
	slices.SortFunc(active, func(a, b *corev1.Pod) int { return byDeletionCost(b, a) })
	var kept []int
	for _, pod := range active {
		i, ok := podIndex(pod, completions)
		switch {
		case !ok || completed[i] || byIndex[i] != nil:
			surplus = append(surplus, pod)
		default:
			byIndex[i] = pod
			kept = append(kept, i)
		}
	}
	if len(kept) > want {
		// Stop the highest indexes first.
		slices.Sort(kept)
		for _, i := range kept[want:] {
			surplus = append(surplus, byIndex[i])
		}
		return surplus, nil
	}
	for i := 0; i < completions && len(kept)+len(missing) < want; i++ {
		if !completed[i] && byIndex[i] == nil {
			missing = append(missing, i)
		}
	}
	return surplus, missing
}

// backoffRemaining returns how long new pods must still wait after the consecutive failures t
// counts: Backoff after the first, doubling with each further one, capped at MaxBackoff, from the
// last failure.
func (c *Controller) backoffRemaining(t tally, now time.Time) time.Duration {
	if t.failures == 0 {
		return 0
	}
	delay := c.backoff
	for n := 1; n < t.failures && delay < c.maxBackoff; n++ {
		delay *= 2
	}
	delay = min(delay, c.maxBackoff)
	return t.lastFailure.Add(delay).Sub(now)
}

// deleteJob deletes job, while it is the Job of the same uid, with background propagation.
func (c *Controller) deleteJob(ctx context.Context, job *batchv1.Job) error {
	m := job.GetMetadata()
	err := c.client.Jobs(m.GetNamespace()).Delete(ctx, m.GetName(),
		client.DeleteOptions{PreconditionUID: m.GetUid(), PropagationPolicy: client.DeleteBackground})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete finished job %s: %w", scheme.Key(job), err)
	}
	c.recorder.Eventf(job, events.TypeNormal, "Deleted", "Deleted finished job after its ttlSecondsAfterFinished")
	return nil
}
