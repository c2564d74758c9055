package strategy

import (
	"cmp"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// deploymentStrategy holds the rules of apps/v1 deployments.
type deploymentStrategy struct{ noPrepare }

// Default sets replicas 1, a RollingUpdate strategy of 25% unavailable and 25% surge,
// revisionHistoryLimit 10, progressDeadlineSeconds 600 and the template's pod defaults.
func (deploymentStrategy) Default(obj scheme.Object) {
	d := obj.(*appsv1.Deployment)
	if d.Spec == nil {
		d.Spec = &appsv1.DeploymentSpec{}
	}
	s := d.Spec
	if s.Replicas == nil {
		s.Replicas = proto.Int32(1)
	}
	if s.Strategy == nil {
		s.Strategy = &appsv1.DeploymentStrategy{}
	}
	setString(&s.Strategy.Type, "RollingUpdate")
	if s.Strategy.Type == "RollingUpdate" {
		if s.Strategy.RollingUpdate == nil {
			s.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		if s.Strategy.RollingUpdate.MaxUnavailable == nil {
			s.Strategy.RollingUpdate.MaxUnavailable = intOrPercent("25%")
		}
		if s.Strategy.RollingUpdate.MaxSurge == nil {
			s.Strategy.RollingUpdate.MaxSurge = intOrPercent("25%")
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = proto.Int32(10)
	}
	if s.ProgressDeadlineSeconds == nil {
		s.ProgressDeadlineSeconds = proto.Int32(600)
	}
	defaultTemplate(s.Template)
}

// Validate checks replicas, the selector, the template, the strategy and the time limits.
func (deploymentStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*appsv1.Deployment).GetSpec(), &appsv1.DeploymentSpec{})
	p := field.NewPath("spec")
	errs := nonNegativePtr32(p.Child("replicas"), spec.Replicas)
	errs = append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p, "deployment")...)
	errs = append(errs, validateTemplate(spec.GetTemplate(), p.Child("template"),
		templateRules{restartPolicies: []string{"Always"}, kind: "Deployment"})...)
	sp := p.Child("strategy")
	st := cmp.Or(spec.GetStrategy(), &appsv1.DeploymentStrategy{})
	errs = append(errs, oneOf(sp.Child("type"), st.GetType(), true, "Recreate", "RollingUpdate")...)
	switch {
	case st.GetType() == "Recreate" && st.RollingUpdate != nil:
		errs = append(errs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
	case st.GetType() == "RollingUpdate" && st.RollingUpdate != nil:
		errs = append(errs, validateSurgeAndUnavailable(st.RollingUpdate.MaxUnavailable, st.RollingUpdate.MaxSurge, sp.Child("rollingUpdate"))...)
	}
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), int64(spec.GetMinReadySeconds()))...)
	errs = append(errs, nonNegativePtr32(p.Child("revisionHistoryLimit"), spec.RevisionHistoryLimit)...)
	if spec.ProgressDeadlineSeconds != nil {
		pd := spec.GetProgressDeadlineSeconds()
		errs = append(errs, nonNegative(p.Child("progressDeadlineSeconds"), int64(pd))...)
		if pd <= spec.GetMinReadySeconds() {
			errs = append(errs, field.Invalid(p.Child("progressDeadlineSeconds"), pd, "must be greater than minReadySeconds"))
		}
	}
	return errs
}

// ValidateUpdate checks the replacement; the selector may not change.
func (s deploymentStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	return append(errs, immutableMessage(field.NewPath("spec", "selector"),
		obj.(*appsv1.Deployment).GetSpec().GetSelector(), old.(*appsv1.Deployment).GetSpec().GetSelector())...)
}

// ValidateStatus checks the replica counts.
func (deploymentStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*appsv1.Deployment).GetStatus()
	if st == nil {
		st = &appsv1.DeploymentStatus{} // no status reads as all zero
	}
	p := field.NewPath("status")
	errs := nonNegative(p.Child("observedGeneration"), st.GetObservedGeneration())
	errs = append(errs, nonNegativeCounts(p,
		count{"replicas", st.GetReplicas()}, count{"updatedReplicas", st.GetUpdatedReplicas()},
		count{"readyReplicas", st.GetReadyReplicas()}, count{"availableReplicas", st.GetAvailableReplicas()},
		count{"unavailableReplicas", st.GetUnavailableReplicas()},
	)...)
	errs = append(errs, nonNegativePtr32(p.Child("collisionCount"), st.CollisionCount)...)
	if st.GetReadyReplicas() > st.GetReplicas() {
		errs = append(errs, field.Invalid(p.Child("readyReplicas"), st.GetReadyReplicas(), "cannot be greater than status.replicas"))
	}
	if st.GetAvailableReplicas() > st.GetReplicas() {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), st.GetAvailableReplicas(), "cannot be greater than status.replicas"))
	}
	if st.GetAvailableReplicas() > st.GetReadyReplicas() {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), st.GetAvailableReplicas(), "cannot be greater than readyReplicas"))
	}
	return errs
}

// SelectableFields returns the metadata fields.
func (deploymentStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
