package registry

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Bind assigns a pod to the node binding.Target names, as the binding subresource does: it fails
// with Conflict when the pod is already assigned or is being deleted, and marks the pod
// PodScheduled=True.
func (s *Store) Bind(ctx context.Context, namespace, name string, binding *corev1.Binding, dryRun bool) (scheme.Object, error) {
	if s.kind.Kind != "Pod" {
		return nil, apierrors.NewMethodNotSupported(s.kind.Group, s.kind.Resource+"/binding", "create")
	}
	if err := s.checkNamespace(namespace); err != nil {
		return nil, err
	}
	bm := binding.GetMetadata()
	if bm.GetName() != "" && bm.GetName() != name {
		return nil, apierrors.NewBadRequest("binding name %q does not match the pod %q", bm.GetName(), name)
	}
	target := binding.GetTarget()
	var errs field.ErrorList
	if target.GetName() == "" {
		errs = append(errs, field.Required(field.NewPath("target", "name"), ""))
	}
	if k := target.GetKind(); k != "" && k != "Node" {
		errs = append(errs, field.NotSupported(field.NewPath("target", "kind"), k, []string{"Node"}))
	}
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid("", "Binding", name, s.causes(errs))
	}
	out, _, err := s.modify(ctx, namespace, name, ModifyOptions{DryRun: dryRun}, func(cur scheme.Object) (scheme.Object, error) {
		pod := cur.(*corev1.Pod)
		if err := s.checkPreconditions(pod, bm.GetResourceVersion(), bm.GetUid()); err != nil {
			return nil, err
		}
		if pod.GetMetadata().GetDeletionTimestamp() != nil {
			return nil, s.conflict(name, fmt.Sprintf("pod %s is being deleted, cannot be assigned to a host", name))
		}
		if n := pod.GetSpec().GetNodeName(); n != "" {
			return nil, s.conflict(name, fmt.Sprintf("pod %s is already assigned to node %q", name, n))
		}
		if pod.Spec == nil {
			pod.Spec = &corev1.PodSpec{}
		}
		pod.Spec.NodeName = target.GetName()
		if pod.Status == nil {
			pod.Status = &corev1.PodStatus{}
		}
		setPodCondition(pod.Status, &corev1.PodCondition{Type: "PodScheduled", Status: "True", LastTransitionTime: s.now()})
		return pod, nil
	})
	return out, err
}

// setPodCondition replaces the condition of c's type, keeping its transition time when the status
// did not change, or appends it.
func setPodCondition(st *corev1.PodStatus, c *corev1.PodCondition) {
	for i, old := range st.Conditions {
		if old.GetType() == c.GetType() {
			if old.GetStatus() == c.GetStatus() {
				c.LastTransitionTime = old.GetLastTransitionTime()
			}
			st.Conditions[i] = c
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}
