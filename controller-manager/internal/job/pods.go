package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/keelson-dev/keelson/controller-manager/internal/podclaim"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/labels"
	"github.com/keelson-dev/keelson/pkg/scheme"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// CompletionIndexKey is the annotation and label that carry an Indexed Job pod's index.
const CompletionIndexKey = "batch.kubernetes.io/job-completion-index"

// CompletionIndexEnv is the environment variable that tells an Indexed Job pod's containers
// their index.
const CompletionIndexEnv = "JOB_COMPLETION_INDEX"

// burst caps the pods one reconcile creates, as Kubernetes' burstReplicas: a larger parallelism
// converges over several reconciles.
const burst = 500

// claimPods returns the pods job controls and that match sel, terminated ones included; see
// podclaim.Claim.
func (c *Controller) claimPods(ctx context.Context, job *batchv1.Job, sel labels.Selector) ([]*corev1.Pod, error) {
	pods := c.pods.Lister().ListNamespace(job.GetMetadata().GetNamespace())
	return podclaim.Claim(ctx, c.client, job, ownerReference(job), sel, pods, TrackingFinalizer)
}

// ownerReference returns the controller reference the pods of job carry.
func ownerReference(job *batchv1.Job) *metav1.OwnerReference {
	return podclaim.OwnerReference(job, "batch/v1", "Job")
}

// newPod returns a pod of job's template controlled by job. index >= 0 makes it the pod of that
// completion index: named <job>-<index>-..., annotated and labelled with the index, with
// hostname <job>-<index> and JOB_COMPLETION_INDEX in every container's environment.
func newPod(job *batchv1.Job, index int) *corev1.Pod {
	tmpl := job.GetSpec().GetTemplate()
	spec := tmpl.GetSpec().CloneVT()
	if spec == nil {
		spec = &corev1.PodSpec{}
	}
	name := job.GetMetadata().GetName()
	m := &metav1.ObjectMeta{
		GenerateName:    name + "-",
		Namespace:       job.GetMetadata().GetNamespace(),
		Labels:          maps.Clone(tmpl.GetMetadata().GetLabels()),
		Annotations:     maps.Clone(tmpl.GetMetadata().GetAnnotations()),
		Finalizers:      append(slices.Clone(tmpl.GetMetadata().GetFinalizers()), TrackingFinalizer),
		OwnerReferences: []*metav1.OwnerReference{ownerReference(job)},
	}
	if index >= 0 {
		idx := strconv.Itoa(index)
		m.GenerateName = name + "-" + idx + "-"
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Labels[CompletionIndexKey] = idx
		m.Annotations[CompletionIndexKey] = idx
		if spec.Hostname == "" {
			spec.Hostname = name + "-" + idx
		}
		for _, ctr := range slices.Concat(spec.InitContainers, spec.Containers) {
			ctr.Env = append(slices.DeleteFunc(ctr.Env, func(e *corev1.EnvVar) bool { return e.GetName() == CompletionIndexEnv }),
				&corev1.EnvVar{Name: CompletionIndexEnv, Value: idx})
		}
	}
	return &corev1.Pod{Metadata: m, Spec: spec}
}

// createPods creates one pod per entry of indexes (-1 for a pod without index), in parallel. It
// expects the creates before the first one and lowers the expectations for every create that
// failed; it returns how many pods were created.
func (c *Controller) createPods(ctx context.Context, key string, job *batchv1.Job, indexes []int) (int, error) {
	indexes = indexes[:min(len(indexes), burst)]
	c.expectations.ExpectCreations(key, len(indexes))
	errs := make([]error, len(indexes))
	var wg sync.WaitGroup
	for i, idx := range indexes {
		wg.Go(func() {
			pod, err := c.client.Pods(job.GetMetadata().GetNamespace()).Create(ctx, newPod(job, idx))
			if err != nil {
				c.expectations.Lower(key, 1, 0)
				c.recorder.Eventf(job, events.TypeWarning, "FailedCreate", "Error creating: %v", err)
				errs[i] = fmt.Errorf("create pod of job %s: %w", scheme.Key(job), err)
				return
			}
			c.recorder.Eventf(job, events.TypeNormal, "SuccessfulCreate", "Created pod: %s", pod.GetMetadata().GetName())
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	return len(indexes) - failed, errors.Join(errs...)
}

// deletePods deletes pods in parallel (each only while it is the pod of the same uid), expecting
// the deletes first. A pod already gone counts as deleted.
func (c *Controller) deletePods(ctx context.Context, key string, job *batchv1.Job, pods []*corev1.Pod) error {
	if len(pods) == 0 {
		return nil
	}
	c.expectations.ExpectDeletions(key, len(pods))
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, pod := range pods {
		wg.Go(func() {
			m := pod.GetMetadata()
			err := c.client.Pods(m.GetNamespace()).Delete(ctx, m.GetName(), client.DeleteOptions{PreconditionUID: m.GetUid()})
			switch {
			case apierrors.IsNotFound(err):
				c.expectations.Lower(key, 0, 1)
			case err != nil:
				c.expectations.Lower(key, 0, 1)
				c.recorder.Eventf(job, events.TypeWarning, "FailedDelete", "Error deleting: %v", err)
				errs[i] = fmt.Errorf("delete pod %s of job %s: %w", scheme.Key(pod), scheme.Key(job), err)
			default:
				c.recorder.Eventf(job, events.TypeNormal, "SuccessfulDelete", "Deleted pod: %s", m.GetName())
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// byDeletionCost orders active pods the least valuable first: unscheduled, then pending, then
// not ready, then the newest.
func byDeletionCost(a, b *corev1.Pod) int {
	rank := func(p *corev1.Pod) int {
		switch {
		case p.GetSpec().GetNodeName() == "":
			return 0
		case p.GetStatus().GetPhase() == "Pending":
			return 1
		case !isReady(p):
			return 2
		}
		return 3
	}
	if r := cmp.Compare(rank(a), rank(b)); r != 0 {
		return r
	}
	return b.GetMetadata().GetCreationTimestamp().AsTime().Compare(a.GetMetadata().GetCreationTimestamp().AsTime())
}

// isReady reports whether pod's Ready condition is True.
func isReady(pod *corev1.Pod) bool {
	for _, cond := range pod.GetStatus().GetConditions() {
		if cond.GetType() == "Ready" {
			return cond.GetStatus() == "True"
		}
	}
	return false
}
