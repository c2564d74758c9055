package statefulset

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Pod management policies and update strategies, as the API spells them.
const (
	OrderedReady = "OrderedReady"
	Parallel     = "Parallel"
	OnDelete     = "OnDelete"
)

// replicasOf returns the desired replicas; unset means one, as the API defaults it.
func replicasOf(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

// partitionOf returns the rolling update's partition: pods at lower indices keep the current
// revision.
func partitionOf(set *appsv1.StatefulSet) int {
	return int(set.GetSpec().GetUpdateStrategy().GetRollingUpdate().GetPartition())
}

// sync makes one step of progress towards set's spec, as Kubernetes' stateful set control does:
// replace terminated pods and create missing ones in ordinal order, then delete pods beyond the
// replicas from the highest ordinal down, then roll the update revision out from the highest
// index down to the partition. Under OrderedReady each step waits for every lower pod to be
// Running and Ready (and available for minReadySeconds); Parallel creates and deletes without
// waiting. A rolling update replaces one pod at a time under both.
func (c *Controller) sync(ctx context.Context, set *appsv1.StatefulSet, r *revisions, pods []*corev1.Pod) error {
	start := int(set.GetSpec().GetOrdinals().GetStart())
	n := replicasOf(set.GetSpec().Replicas)
	monotonic := set.GetSpec().GetPodManagementPolicy() != Parallel
	minReady := time.Duration(set.GetSpec().GetMinReadySeconds()) * time.Second
	now := c.clock.Now()
	ready := func(p *corev1.Pod) bool { return isHealthy(p) && isAvailable(p, minReady, now) }

	slots := make([]*corev1.Pod, n)
	var condemned []*corev1.Pod
	for _, p := range pods {
		if ord := ordinalOf(set, p); ord >= start && ord < start+n {
			slots[ord-start] = p
		} else {
			condemned = append(condemned, p)
		}
	}
	slices.SortFunc(condemned, func(a, b *corev1.Pod) int { return cmp.Compare(ordinalOf(set, b), ordinalOf(set, a)) })

	for i, p := range slots {
		ord := start + i
		if p != nil && isFinished(p) && !isTerminating(p) {
			// A terminated member is replaced: delete it now, create it again next sync.
			if err := c.deletePod(ctx, set, p); err != nil {
				return err
			}
			if monotonic {
				return nil
			}
			continue
		}
		if p == nil {
			tmpl, rev := r.updateTemplate, r.update
			if c.atCurrentRevision(set, i) {
				tmpl, rev = r.currentTemplate, r.current
			}
			if err := c.createPod(ctx, set, newPod(set, tmpl, ord, rev.GetMetadata().GetName())); err != nil {
				return err
			}
			if monotonic {
				return nil
			}
			continue
		}
		if monotonic && (isTerminating(p) || !ready(p)) {
			return nil // OrderedReady: wait until this pod is up before the next one
		}
		if !isTerminating(p) && !hasIdentity(set, p, ord) {
			if err := c.fixIdentity(ctx, set, p); err != nil {
				return err
			}
		}
	}

	for _, p := range condemned {
		if isTerminating(p) {
			if monotonic {
				return nil
			}
			continue
		}
		if monotonic && !othersHealthy(p, slots, condemned, ready) {
			return nil // scale down only from a healthy set, one pod at a time
		}
		if err := c.deletePod(ctx, set, p); err != nil {
			return err
		}
		if monotonic {
			return nil
		}
	}

	if set.GetSpec().GetUpdateStrategy().GetType() == OnDelete {
		return nil
	}
	for i := n - 1; i >= partitionOf(set); i-- {
		p := slots[i]
		if p == nil {
			return nil
		}
		if p.GetMetadata().GetLabels()[RevisionLabel] != r.update.GetMetadata().GetName() && !isTerminating(p) {
			c.lg.Info("rolling stateful set pod to the update revision", logKey(set), logPod(p))
			return c.deletePod(ctx, set, p)
		}
		if !ready(p) {
			return nil // wait for the updated pod before the next one
		}
	}
	return nil
}

// atCurrentRevision reports whether the pod at index i is created from the current revision
// rather than the update revision: below the partition of a rolling update.
func (c *Controller) atCurrentRevision(set *appsv1.StatefulSet, i int) bool {
	us := set.GetSpec().GetUpdateStrategy()
	if us.GetType() == OnDelete {
		return false
	}
	if us.GetRollingUpdate() == nil {
		return i < int(set.GetStatus().GetCurrentReplicas())
	}
	return i < partitionOf(set)
}

// othersHealthy reports whether every pod of the set but p is up.
func othersHealthy(p *corev1.Pod, slots, condemned []*corev1.Pod, ready func(*corev1.Pod) bool) bool {
	for _, q := range slices.Concat(slots, condemned) {
		if q != nil && q != p && !ready(q) {
			return false
		}
	}
	return true
}

// createPod creates pod for set and records it as Kubernetes words it. A pod already there (the
// cache had not seen it) is no error: the next sync reads it.
func (c *Controller) createPod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	_, err := c.client.Pods(pod.GetMetadata().GetNamespace()).Create(ctx, pod)
	switch {
	case err == nil:
		c.recorder.Eventf(set, events.TypeNormal, "SuccessfulCreate", "create Pod %s in StatefulSet %s successful",
			pod.GetMetadata().GetName(), set.GetMetadata().GetName())
		return nil
	case apierrors.IsAlreadyExists(err):
		return nil
	default:
		c.recorder.Eventf(set, events.TypeWarning, "FailedCreate", "create Pod %s in StatefulSet %s failed error: %v",
			pod.GetMetadata().GetName(), set.GetMetadata().GetName(), err)
		return fmt.Errorf("create pod %s of stateful set %s: %w", pod.GetMetadata().GetName(), scheme.Key(set), err)
	}
}

// deletePod deletes pod, unless it was replaced by another of the same name, and records it.
func (c *Controller) deletePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	m := pod.GetMetadata()
	err := c.client.Pods(m.GetNamespace()).Delete(ctx, m.GetName(), client.DeleteOptions{PreconditionUID: m.GetUid()})
	switch {
	case err == nil:
		c.recorder.Eventf(set, events.TypeNormal, "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful",
			m.GetName(), set.GetMetadata().GetName())
		return nil
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return nil // gone already, or replaced: the next sync sees which
	default:
		c.recorder.Eventf(set, events.TypeWarning, "FailedDelete", "delete Pod %s in StatefulSet %s failed error: %v",
			m.GetName(), set.GetMetadata().GetName(), err)
		return fmt.Errorf("delete pod %s of stateful set %s: %w", m.GetName(), scheme.Key(set), err)
	}
}

// fixIdentity updates pod to carry its stable identity again (someone changed its labels).
func (c *Controller) fixIdentity(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	p := pod.CloneVT()
	setIdentity(set, p)
	_, err := c.client.Pods(p.GetMetadata().GetNamespace()).Update(ctx, p)
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("restore the identity of pod %s of stateful set %s: %w", p.GetMetadata().GetName(), scheme.Key(set), err)
	}
	return nil
}

// status counts set's pods as Kubernetes does and completes a rolling update once every replica
// runs the update revision and is ready.
func (c *Controller) status(set *appsv1.StatefulSet, r *revisions, pods []*corev1.Pod) *appsv1.StatefulSetStatus {
	now := c.clock.Now()
	minReady := time.Duration(set.GetSpec().GetMinReadySeconds()) * time.Second
	cc := r.collisionCount
	st := &appsv1.StatefulSetStatus{
		ObservedGeneration: set.GetMetadata().GetGeneration(),
		CurrentRevision:    r.current.GetMetadata().GetName(),
		UpdateRevision:     r.update.GetMetadata().GetName(),
		CollisionCount:     &cc,
		Conditions:         set.GetStatus().GetConditions(),
	}
	for _, p := range pods {
		st.Replicas++
		if _, ok := readyAt(p); ok {
			st.ReadyReplicas++
			if isAvailable(p, minReady, now) {
				st.AvailableReplicas++
			}
		}
		if isTerminating(p) {
			continue
		}
		switch p.GetMetadata().GetLabels()[RevisionLabel] {
		case st.CurrentRevision:
			st.CurrentReplicas++
			if st.CurrentRevision == st.UpdateRevision {
				st.UpdatedReplicas++
			}
		case st.UpdateRevision:
			st.UpdatedReplicas++
		}
	}
	want := int32(replicasOf(set.GetSpec().Replicas))
	if set.GetSpec().GetUpdateStrategy().GetType() != OnDelete && st.UpdatedReplicas == want && st.ReadyReplicas == want &&
		st.Replicas == want {
		st.CurrentRevision, st.CurrentReplicas = st.UpdateRevision, st.UpdatedReplicas
	}
	return st
}
