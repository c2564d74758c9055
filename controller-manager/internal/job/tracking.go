package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// TrackingFinalizer is the finalizer a Job's pods carry until the Job has counted them, so that a
// terminated pod cannot vanish uncounted.
const TrackingFinalizer = "batch.kubernetes.io/job-tracking"

// removals remembers, per Job key, the pods whose tracking finalizer the controller removed and
// whose update the pod informer has not shown yet: until then the cache still shows the
// finalizer, and the pod must not be counted a second time.
type removals struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

func (r *removals) expect(key, uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]map[string]bool{}
	}
	if r.m[key] == nil {
		r.m[key] = map[string]bool{}
	}
	r.m[key][uid] = true
}

func (r *removals) observed(key, uid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m[key], uid)
	if len(r.m[key]) == 0 {
		delete(r.m, key)
	}
}

func (r *removals) pending(key, uid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[key][uid]
}

// hasFinalizer reports whether pod carries the tracking finalizer.
func hasFinalizer(pod *corev1.Pod) bool {
	return slices.Contains(pod.GetMetadata().GetFinalizers(), TrackingFinalizer)
}

// isFailed reports whether pod counts as failed: phase Failed, or, unless the Job replaces only
// failed pods, being deleted before it succeeded (it may never reach a phase).
func isFailed(job *batchv1.Job, pod *corev1.Pod) bool {
	phase := pod.GetStatus().GetPhase()
	if phase == "Failed" {
		return true
	}
	if job.GetSpec().GetPodReplacementPolicy() == "Failed" {
		return false
	}
	return pod.GetMetadata().GetDeletionTimestamp() != nil && phase != "Succeeded"
}

// tracked is what track found: the pods whose finalizer is to go, and the uids of the pods that
// still carry it.
type tracked struct {
	release       []*corev1.Pod
	withFinalizer map[string]bool
}

// track folds the terminated pods of job into st, as Kubernetes' job tracking does: a pod that
// succeeded or failed (every pod, when the Job is finishing or being deleted) and still carries
// the finalizer goes into st.uncountedTerminatedPods (a succeeded pod of an Indexed Job into
// completedIndexes directly) and its finalizer is to be removed; a pod of
// uncountedTerminatedPods whose finalizer is gone moves into the succeeded and failed counts.
func (c *Controller) track(key string, job *batchv1.Job, st *batchv1.JobStatus, pods []*corev1.Pod, finishing bool) tracked {
	if st.UncountedTerminatedPods == nil {
		st.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	unc := st.UncountedTerminatedPods
	out := tracked{withFinalizer: map[string]bool{}}
	var live []*corev1.Pod
	for _, pod := range pods {
		uid := pod.GetMetadata().GetUid()
		if hasFinalizer(pod) && !c.removals.pending(key, uid) {
			out.withFinalizer[uid] = true
			live = append(live, pod)
		}
	}
	settle(st, out.withFinalizer)
	indexed := isIndexed(job)
	completions := int(job.GetSpec().GetCompletions())
	completed := parseIndexes(st.GetCompletedIndexes(), completions)
	deleting := job.GetMetadata().GetDeletionTimestamp() != nil
	for _, pod := range live {
		uid := pod.GetMetadata().GetUid()
		failed := isFailed(job, pod)
		succeeded := pod.GetStatus().GetPhase() == "Succeeded"
		if !succeeded && !failed && !finishing && !deleting {
			continue // still running
		}
		out.release = append(out.release, pod)
		idx, validIdx := podIndex(pod, completions)
		switch {
		case succeeded && slices.Contains(unc.Failed, uid):
		case succeeded && indexed:
			if validIdx {
				completed[idx] = true
			}
		case succeeded:
			if !slices.Contains(unc.Succeeded, uid) {
				unc.Succeeded = append(unc.Succeeded, uid)
			}
		case !slices.Contains(unc.Failed, uid) && (!indexed || validIdx):
			unc.Failed = append(unc.Failed, uid)
		}
	}
	if indexed {
		st.CompletedIndexes = formatIndexes(completed)
		st.Succeeded = int32(len(completed))
	}
	return out
}

// settle moves the uids of st.uncountedTerminatedPods that are not in withFinalizer (their
// finalizer is gone, or the pod is) into the succeeded and failed counts.
func settle(st *batchv1.JobStatus, withFinalizer map[string]bool) {
	unc := st.GetUncountedTerminatedPods()
	if unc == nil {
		return
	}
	keep := func(uids []string) ([]string, int32) {
		var kept []string
		for _, uid := range uids {
			if withFinalizer[uid] {
				kept = append(kept, uid)
			}
		}
		return kept, int32(len(uids) - len(kept))
	}
	var n int32
	unc.Succeeded, n = keep(unc.Succeeded)
	st.Succeeded += n
	unc.Failed, n = keep(unc.Failed)
	st.Failed += n
}

// uncounted returns how many pods st has yet to count.
func uncounted(st *batchv1.JobStatus) int {
	return len(st.GetUncountedTerminatedPods().GetSucceeded()) + len(st.GetUncountedTerminatedPods().GetFailed())
}

// removeFinalizers removes the tracking finalizer from pods in parallel and deletes the uid of
// every pod it was removed from (or that is gone) from withFinalizer.
func (c *Controller) removeFinalizers(ctx context.Context, key string, pods []*corev1.Pod, withFinalizer map[string]bool) error {
	errs := make([]error, len(pods))
	done := make([]bool, len(pods))
	var wg sync.WaitGroup
	for i, pod := range pods {
		wg.Go(func() {
			uid := pod.GetMetadata().GetUid()
			c.removals.expect(key, uid)
			if err := c.dropFinalizer(ctx, pod); err != nil {
				c.removals.observed(key, uid)
				errs[i] = err
				return
			}
			done[i] = true
		})
	}
	wg.Wait()
	for i, pod := range pods {
		if done[i] {
			delete(withFinalizer, pod.GetMetadata().GetUid())
		}
	}
	return errors.Join(errs...)
}

// dropFinalizer removes the tracking finalizer from pod by an update guarded on its
// resourceVersion, reading the pod again after a Conflict. A pod gone, or replaced by another
// of its name, has nothing left to remove.
func (c *Controller) dropFinalizer(ctx context.Context, pod *corev1.Pod) error {
	pods := c.client.Pods(pod.GetMetadata().GetNamespace())
	for range 3 {
		p := pod.CloneVT()
		p.Metadata.Finalizers = slices.DeleteFunc(p.Metadata.Finalizers, func(f string) bool { return f == TrackingFinalizer })
		_, err := pods.Update(ctx, p)
		if !apierrors.IsConflict(err) {
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("remove finalizer %s from pod %s: %w", TrackingFinalizer, scheme.Key(pod), err)
			}
			return nil
		}
		fresh, err := pods.Get(ctx, pod.GetMetadata().GetName())
		if apierrors.IsNotFound(err) || (err == nil && (fresh.GetMetadata().GetUid() != pod.GetMetadata().GetUid() || !hasFinalizer(fresh))) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read pod %s to remove its finalizer: %w", scheme.Key(pod), err)
		}
		pod = fresh
	}
	return fmt.Errorf("remove finalizer %s from pod %s: %w", TrackingFinalizer, scheme.Key(pod), apierrors.NewConflict("", "pods", pod.GetMetadata().GetName(), "the pod kept changing"))
}

// releaseStale removes the tracking finalizer from the pods of namespace that name a Job called
// name as their controller but not the Job of uid ("" when no such Job exists): their Job was
// deleted, perhaps recreated, and nothing will count them any more.
func (c *Controller) releaseStale(ctx context.Context, key, namespace, name, uid string) error {
	var stale []*corev1.Pod
	for _, pod := range c.pods.Lister().ListNamespace(namespace) {
		ref := podclaim.ControllerRef(pod.GetMetadata())
		if ref != nil && ref.GetKind() == "Job" && ref.GetName() == name && ref.GetUid() != uid &&
			hasFinalizer(pod) && !c.removals.pending(key, pod.GetMetadata().GetUid()) {
			stale = append(stale, pod)
		}
	}
	return c.removeFinalizers(ctx, key, stale, map[string]bool{})
}
