package strategy

import (
	"cmp"
	"maps"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// replicationControllerStrategy holds the rules of core/v1 replication controllers.
type replicationControllerStrategy struct{ noPrepare }

// Default sets replicas 1 and, as Kubernetes does, takes an empty selector and empty labels from
// the template's labels.
func (replicationControllerStrategy) Default(obj scheme.Object) {
	rc := obj.(*corev1.ReplicationController)
	if rc.Spec == nil {
		rc.Spec = &corev1.ReplicationControllerSpec{}
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = proto.Int32(1)
	}
	if tl := rc.Spec.GetTemplate().GetMetadata().GetLabels(); len(tl) > 0 {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = maps.Clone(tl)
		}
		if len(rc.GetMetadata().GetLabels()) == 0 {
			if rc.Metadata == nil {
				rc.Metadata = &metav1.ObjectMeta{}
			}
			rc.Metadata.Labels = maps.Clone(tl)
		}
	}
	defaultTemplate(rc.Spec.Template)
}

// Validate checks replicas, the selector and the template.
func (replicationControllerStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*corev1.ReplicationController).GetSpec(), &corev1.ReplicationControllerSpec{})
	p := field.NewPath("spec")
	errs := nonNegativePtr32(p.Child("replicas"), spec.Replicas)
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), int64(spec.GetMinReadySeconds()))...)
	sel := spec.GetSelector()
	if len(sel) == 0 {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, validateLabels(sel, p.Child("selector"))...)
	}
	if t := spec.GetTemplate(); t != nil && len(sel) > 0 {
		tl := t.GetMetadata().GetLabels()
		for k, v := range sel {
			if got, ok := tl[k]; !ok || got != v {
				errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), tl, "`selector` does not match template `labels`"))
				break
			}
		}
	}
	errs = append(errs, validateTemplate(spec.GetTemplate(), p.Child("template"),
		templateRules{restartPolicies: []string{"Always"}, kind: "ReplicationController"})...)
	return errs
}

// ValidateUpdate checks the replacement as Validate does; every spec field of a replication
// controller may change.
func (s replicationControllerStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus checks the replica counts.
func (replicationControllerStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*corev1.ReplicationController).GetStatus()
	return validateReplicaCounts(st.GetReplicas(), st.GetFullyLabeledReplicas(), st.GetReadyReplicas(),
		st.GetAvailableReplicas(), st.GetObservedGeneration())
}

// validateReplicaCounts checks a replica set's or replication controller's status counts as
// Kubernetes does: none negative, and replicas >= fullyLabeled, replicas >= ready >= available.
func validateReplicaCounts(replicas, fullyLabeled, ready, available int32, observedGeneration int64) field.ErrorList {
	p := field.NewPath("status")
	errs := nonNegative(p.Child("replicas"), int64(replicas))
	errs = append(errs, nonNegative(p.Child("fullyLabeledReplicas"), int64(fullyLabeled))...)
	errs = append(errs, nonNegative(p.Child("readyReplicas"), int64(ready))...)
	errs = append(errs, nonNegative(p.Child("availableReplicas"), int64(available))...)
	errs = append(errs, nonNegative(p.Child("observedGeneration"), observedGeneration)...)
	if fullyLabeled > replicas {
		errs = append(errs, field.Invalid(p.Child("fullyLabeledReplicas"), fullyLabeled, "cannot be greater than status.replicas"))
	}
	if ready > replicas {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), ready, "cannot be greater than status.replicas"))
	}
	if available > replicas {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), available, "cannot be greater than status.replicas"))
	}
	if available > ready {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), available, "cannot be greater than readyReplicas"))
	}
	return errs
}

// SelectableFields adds status.replicas.
func (replicationControllerStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["status.replicas"] = strconv.Itoa(int(obj.(*corev1.ReplicationController).GetStatus().GetReplicas()))
	return f
}
