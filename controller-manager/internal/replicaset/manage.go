package replicaset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// manage creates or deletes pods so that owner has spec.Replicas of them, at most BurstReplicas
// in one call. It sets the expectations before the first write and lowers them for every write
// that did not happen.
func (c *Controller[T]) manage(ctx context.Context, key string, owner T, spec Spec, pods []*corev1.Pod) error {
	diff := len(pods) - int(spec.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, BurstReplicas)
		c.expectations.ExpectCreations(key, n)
		created, err := slowStartBatch(n, 1, func(int) error { return c.createPod(ctx, owner, spec.Template) })
		if skipped := n - created; skipped > 0 {
			c.expectations.Lower(key, skipped, 0)
		}
		return err
	case diff > 0:
		victims := podsToDelete(pods, min(diff, BurstReplicas))
		c.expectations.ExpectDeletions(key, len(victims))
		deleted, err := slowStartBatch(len(victims), 1, func(i int) error {
			err := c.deletePod(ctx, owner, victims[i])
			if apierrors.IsNotFound(err) {
				// Gone already: its delete is observed, and there is nothing to stop for.
				c.expectations.Lower(key, 0, 1)
				return nil
			}
			return err
		})
		if skipped := len(victims) - deleted; skipped > 0 {
			c.expectations.Lower(key, 0, skipped)
		}
		return err
	}
	return nil
}

// slowStartBatch calls fn with 0, 1, …, count-1, in batches of initial calls, then twice as
// many, and so on; the calls of a batch run in parallel. A batch with a failed call is the last:
// the calls of a failing request (a quota, an admission denial, a webhook that refuses deletes)
// are not repeated hundreds of times. It returns how many calls succeeded and the errors of the
// last batch.
func slowStartBatch(count, initial int, fn func(i int) error) (int, error) {
	done, next := 0, 0
	for batch := min(count, initial); batch > 0; batch = min(2*batch, count-next) {
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn(next + i) })
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
			}
		}
		done += batch - failed
		next += batch
		if failed > 0 {
			return done, errors.Join(errs...)
		}
	}
	return done, nil
}

// newPod returns a pod of owner's template, controlled by owner and named by the apiserver
// after it.
func (c *Controller[T]) newPod(owner T, template *corev1.PodTemplateSpec) *corev1.Pod {
	tm := template.GetMetadata()
	spec := template.GetSpec().CloneVT()
	if spec == nil {
		spec = &corev1.PodSpec{}
	}
	return &corev1.Pod{
		Metadata: &metav1.ObjectMeta{
			GenerateName:    owner.GetMetadata().GetName() + "-",
			Namespace:       owner.GetMetadata().GetNamespace(),
			Labels:          maps.Clone(tm.GetLabels()),
			Annotations:     maps.Clone(tm.GetAnnotations()),
			Finalizers:      slices.Clone(tm.GetFinalizers()),
			OwnerReferences: []*metav1.OwnerReference{c.ownerReference(owner)},
		},
		Spec: spec,
	}
}

// createPod creates one pod of owner and records the outcome as an event.
func (c *Controller[T]) createPod(ctx context.Context, owner T, template *corev1.PodTemplateSpec) error {
	pod, err := c.client.Pods(owner.GetMetadata().GetNamespace()).Create(ctx, c.newPod(owner, template))
	if err != nil {
		c.recorder.Eventf(owner, events.TypeWarning, "FailedCreate", "Error creating: %v", err)
		return fmt.Errorf("create pod of %s %s: %w", c.kind.Kind, scheme.Key(owner), err)
	}
	c.recorder.Eventf(owner, events.TypeNormal, "SuccessfulCreate", "Created pod: %s", pod.GetMetadata().GetName())
	return nil
}

// deletePod deletes pod, unless it was replaced by another of the same name, and records the
// outcome as an event. A pod already gone fails with NotFound and gets no event.
func (c *Controller[T]) deletePod(ctx context.Context, owner T, pod *corev1.Pod) error {
	m := pod.GetMetadata()
	err := c.client.Pods(m.GetNamespace()).Delete(ctx, m.GetName(), client.DeleteOptions{PreconditionUID: m.GetUid()})
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		c.recorder.Eventf(owner, events.TypeWarning, "FailedDelete", "Error deleting: %v", err)
		return fmt.Errorf("delete pod %s of %s %s: %w", scheme.Key(pod), c.kind.Kind, scheme.Key(owner), err)
	}
	c.recorder.Eventf(owner, events.TypeNormal, "SuccessfulDelete", "Deleted pod: %s", m.GetName())
	return nil
}
