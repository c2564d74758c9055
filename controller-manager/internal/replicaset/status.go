package replicaset

import (
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// ReplicaFailure is the condition a workload carries while creating or deleting its pods fails.
const ReplicaFailure = "ReplicaFailure"

// computeStatus returns owner's status for its claimed pods: counts, the generation they answer,
// and the ReplicaFailure condition, set while manageErr says pods could not be created or
// deleted and removed once they could.
func (c *Controller[T]) computeStatus(owner T, spec Spec, pods []*corev1.Pod, manageErr error) *appsv1.ReplicaSetStatus {
	now := c.clock.Now()
	st := &appsv1.ReplicaSetStatus{Replicas: int32(len(pods)), ObservedGeneration: owner.GetMetadata().GetGeneration()}
	templateLabels := spec.Template.GetMetadata().GetLabels()
	for _, pod := range pods {
		if hasLabels(pod.GetMetadata().GetLabels(), templateLabels) {
			st.FullyLabeledReplicas++
		}
		if since := readySince(pod); since != nil {
			st.ReadyReplicas++
			minReady := time.Duration(spec.MinReadySeconds) * time.Second
			if minReady == 0 || !since.Add(minReady).After(now) {
				st.AvailableReplicas++
			}
		}
	}
	var failure *appsv1.ReplicaSetCondition
	for _, cond := range c.kind.Status(owner).GetConditions() {
		if cond.GetType() == ReplicaFailure {
			failure = cond
			continue
		}
		st.Conditions = append(st.Conditions, cond)
	}
	switch {
	case manageErr != nil && failure == nil:
		reason := "FailedCreate"
		if len(pods) > int(spec.Replicas) {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, &appsv1.ReplicaSetCondition{
			Type: ReplicaFailure, Status: "True", Reason: reason,
			Message: conditionMessage(manageErr), LastTransitionTime: timestamppb.New(now),
		})
	case manageErr != nil:
		st.Conditions = append(st.Conditions, failure)
	}
	return st
}

// conditionMessage is the API's message of err: what the apiserver said, as Kubernetes shows it
// ("pods \"web-x\" is forbidden: exceeded quota: ...").
func conditionMessage(err error) string {
	if se := (*apierrors.StatusError)(nil); errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// hasLabels reports whether have carries every label of want with its value.
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
