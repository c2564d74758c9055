package strategy

import (
	"cmp"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// replicaSetStrategy holds the rules of apps/v1 replica sets.
type replicaSetStrategy struct{ noPrepare }

// Default sets replicas 1 and the template's pod defaults.
func (replicaSetStrategy) Default(obj scheme.Object) {
	rs := obj.(*appsv1.ReplicaSet)
	if rs.Spec == nil {
		rs.Spec = &appsv1.ReplicaSetSpec{}
	}
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = proto.Int32(1)
	}
	defaultTemplate(rs.Spec.Template)
}

// Validate checks replicas, the selector and the template.
func (replicaSetStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*appsv1.ReplicaSet).GetSpec(), &appsv1.ReplicaSetSpec{})
	p := field.NewPath("spec")
	errs := nonNegativePtr32(p.Child("replicas"), spec.Replicas)
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), int64(spec.GetMinReadySeconds()))...)
	errs = append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p, "replicaset")...)
	errs = append(errs, validateTemplate(spec.GetTemplate(), p.Child("template"),
		templateRules{restartPolicies: []string{"Always"}, kind: "ReplicaSet"})...)
	return errs
}

// ValidateUpdate checks the replacement; the selector may not change.
func (s replicaSetStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	return append(errs, immutableMessage(field.NewPath("spec", "selector"),
		obj.(*appsv1.ReplicaSet).GetSpec().GetSelector(), old.(*appsv1.ReplicaSet).GetSpec().GetSelector())...)
}

// ValidateStatus checks the replica counts.
func (replicaSetStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*appsv1.ReplicaSet).GetStatus()
	return validateReplicaCounts(st.GetReplicas(), st.GetFullyLabeledReplicas(), st.GetReadyReplicas(),
		st.GetAvailableReplicas(), st.GetObservedGeneration())
}

// SelectableFields adds status.replicas.
func (replicaSetStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["status.replicas"] = strconv.Itoa(int(obj.(*appsv1.ReplicaSet).GetStatus().GetReplicas()))
	return f
}
