package nodelifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/controller"
	"github.com/keelson-dev/keelson/pkg/events"
	"github.com/keelson-dev/keelson/pkg/taints"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// forever is the wait of a pod that tolerates every NoExecute taint of its node without a limit.
const forever = time.Duration(-1)

// reconcilePod deletes the pod key names once it has stayed on a NoExecute-tainted node as long
// as its tolerations allow: at once when one taint is not tolerated, never when every taint is
// tolerated without tolerationSeconds, else when the shortest tolerationSeconds has passed since
// the taint was added. Until then the key comes back when it is due.
func (c *Controller) reconcilePod(ctx context.Context, key string) (controller.Result, error) {
	ns, name, err := controller.SplitKey(key)
	if err != nil {
		return controller.Result{}, nil // not a key this controller queued
	}
	pod, ok := c.pods.Lister().Get(ns, name)
	if !ok || pod.GetMetadata().GetDeletionTimestamp() != nil || pod.GetSpec().GetNodeName() == "" {
		return controller.Result{}, nil
	}
	node, ok := c.nodes.Lister().Get("", pod.GetSpec().GetNodeName())
	if !ok {
		return controller.Result{}, nil // pods of deleted nodes are the pod GC's
	}
	var noExecute []*corev1.Taint
	for _, t := range node.GetSpec().GetTaints() {
		if t.GetEffect() == taints.EffectNoExecute {
			noExecute = append(noExecute, t)
		}
	}
	if len(noExecute) == 0 {
		return controller.Result{}, nil
	}
	due, evict := c.evictionTime(node.GetMetadata().GetName(), noExecute, pod.GetSpec().GetTolerations())
	if !evict {
		return controller.Result{}, nil
	}
	if wait := c.clock.Until(due); wait > 0 {
		return controller.Result{RequeueAfter: wait}, nil
	}
	return controller.Result{}, c.evict(ctx, pod)
}

// evictionTime returns when a pod with tols on node is to be evicted for its NoExecute taints,
// and false when never. A taint's clock starts at its timeAdded (for a taint without one, when
// the pod was first checked against it).
func (c *Controller) evictionTime(node string, noExecute []*corev1.Taint, tols []*corev1.Toleration) (time.Time, bool) {
	var due time.Time
	evict := false
	for _, t := range noExecute {
		wait := tolerated(t, tols)
		if wait == forever {
			continue
		}
		at := c.taintSeen(node, t)
		if at = at.Add(wait); !evict || at.Before(due) {
			due, evict = at, true
		}
	}
	return due, evict
}

// taintSeen returns when taint was added to node: its timeAdded, or for a taint without one
// (written by someone else), when the controller first saw it there.
func (c *Controller) taintSeen(node string, taint *corev1.Taint) time.Time {
	if added := taint.GetTimeAdded(); added != nil {
		return added.AsTime()
	}
	key := [3]string{taint.GetKey(), taint.GetValue(), taint.GetEffect()}
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.taintsSeen[node]
	if seen == nil {
		seen = map[[3]string]time.Time{}
		c.taintsSeen[node] = seen
	}
	if _, ok := seen[key]; !ok {
		seen[key] = c.clock.Now()
	}
	return seen[key]
}

// tolerated returns how long tols tolerate taint: the longest of the matching tolerations, forever
// for one without tolerationSeconds, and zero when none matches.
func tolerated(taint *corev1.Taint, tols []*corev1.Toleration) time.Duration {
	longest := time.Duration(0)
	for _, tol := range tols {
		if !taints.Tolerates(tol, taint) {
			continue
		}
		if tol.TolerationSeconds == nil {
			return forever
		}
		longest = max(longest, time.Duration(max(tol.GetTolerationSeconds(), 0))*time.Second)
	}
	return longest
}

// evict marks pod as disrupted and deletes it, as Kubernetes' taint manager does.
func (c *Controller) evict(ctx context.Context, pod *corev1.Pod) error {
	key := pod.GetMetadata().GetNamespace() + "/" + pod.GetMetadata().GetName()
	c.event(pod, events.TypeNormal, "TaintManagerEviction", "Marking for deletion Pod %s", key)
	if !slices.ContainsFunc(pod.GetStatus().GetConditions(), func(cond *corev1.PodCondition) bool {
		return cond.GetType() == "DisruptionTarget"
	}) {
		next := pod.CloneVT()
		if next.Status == nil {
			next.Status = &corev1.PodStatus{}
		}
		next.Status.Conditions = append(next.Status.Conditions, &corev1.PodCondition{
			Type: "DisruptionTarget", Status: statusTrue, Reason: "DeletionByTaintManager",
			Message: "Taint manager: deleting due to NoExecute taint", LastTransitionTime: timestamppb.New(c.clock.Now()),
		})
		if _, err := c.client.Pods(pod.GetMetadata().GetNamespace()).UpdateStatus(ctx, next); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("mark pod %s disrupted: %w", key, err)
		}
	}
	err := c.client.Pods(pod.GetMetadata().GetNamespace()).Delete(ctx, pod.GetMetadata().GetName(),
		client.DeleteOptions{PreconditionUID: pod.GetMetadata().GetUid()})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("evict pod %s: %w", key, err)
	}
	return nil
}

// markPodsNotReady sets the Ready condition of every running pod on an unreachable node to
// False: its kubelet cannot, and the endpoints of services must stop sending to it.
func (c *Controller) markPodsNotReady(ctx context.Context, node string) error {
	var errs []error
	for _, p := range c.pods.Lister().ByIndex(nodeNameIndex, node) {
		if phase := p.GetStatus().GetPhase(); phase == "Succeeded" || phase == "Failed" {
			continue
		}
		i := slices.IndexFunc(p.GetStatus().GetConditions(), func(cond *corev1.PodCondition) bool {
			return cond.GetType() == conditionReady
		})
		if i < 0 || p.GetStatus().GetConditions()[i].GetStatus() == statusFalse {
			continue
		}
		next := p.CloneVT()
		cond := next.Status.Conditions[i]
		cond.Status, cond.LastTransitionTime = statusFalse, timestamppb.New(c.clock.Now())
		if _, err := c.client.Pods(p.GetMetadata().GetNamespace()).UpdateStatus(ctx, next); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("mark pod %s/%s not ready: %w", p.GetMetadata().GetNamespace(), p.GetMetadata().GetName(), err))
			continue
		}
		c.event(p, events.TypeWarning, "NodeNotReady", "Node is not ready")
	}
	return errors.Join(errs...)
}
