package strategy

import (
	"cmp"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// daemonSetStrategy holds the rules of apps/v1 daemon sets.
type daemonSetStrategy struct{ noPrepare }

// Default sets a RollingUpdate strategy with maxUnavailable 1 and maxSurge 0, revisionHistoryLimit
// 10 and the template's pod defaults.
func (daemonSetStrategy) Default(obj scheme.Object) {
	ds := obj.(*appsv1.DaemonSet)
	if ds.Spec == nil {
		ds.Spec = &appsv1.DaemonSetSpec{}
	}
	s := ds.Spec
	if s.UpdateStrategy == nil {
		s.UpdateStrategy = &appsv1.DaemonSetUpdateStrategy{}
	}
	setString(&s.UpdateStrategy.Type, "RollingUpdate")
	if s.UpdateStrategy.Type == "RollingUpdate" {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if s.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			s.UpdateStrategy.RollingUpdate.MaxUnavailable = intOrInt(1)
		}
		if s.UpdateStrategy.RollingUpdate.MaxSurge == nil {
			s.UpdateStrategy.RollingUpdate.MaxSurge = intOrInt(0)
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = proto.Int32(10)
	}
	defaultTemplate(s.Template)
}

// Validate checks the selector, the template and the update strategy.
func (daemonSetStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*appsv1.DaemonSet).GetSpec(), &appsv1.DaemonSetSpec{})
	p := field.NewPath("spec")
	errs := validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p, "daemonset")
	errs = append(errs, validateTemplate(spec.GetTemplate(), p.Child("template"),
		templateRules{restartPolicies: []string{"Always"}, kind: "DaemonSet"})...)
	up := p.Child("updateStrategy")
	us := cmp.Or(spec.GetUpdateStrategy(), &appsv1.DaemonSetUpdateStrategy{})
	errs = append(errs, oneOf(up.Child("type"), us.GetType(), true, "OnDelete", "RollingUpdate")...)
	if us.GetType() == "RollingUpdate" {
		ru := us.GetRollingUpdate()
		if ru == nil {
			errs = append(errs, field.Required(up.Child("rollingUpdate"), ""))
		} else {
			errs = append(errs, validateSurgeAndUnavailable(ru.MaxUnavailable, ru.MaxSurge, up.Child("rollingUpdate"))...)
		}
	}
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), int64(spec.GetMinReadySeconds()))...)
	errs = append(errs, nonNegativePtr32(p.Child("revisionHistoryLimit"), spec.RevisionHistoryLimit)...)
	return errs
}

// ValidateUpdate checks the replacement; the selector may not change.
func (s daemonSetStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	return append(errs, immutableMessage(field.NewPath("spec", "selector"),
		obj.(*appsv1.DaemonSet).GetSpec().GetSelector(), old.(*appsv1.DaemonSet).GetSpec().GetSelector())...)
}

// ValidateStatus checks that no count is negative.
func (daemonSetStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*appsv1.DaemonSet).GetStatus()
	if st == nil {
		st = &appsv1.DaemonSetStatus{} // no status reads as all zero
	}
	p := field.NewPath("status")
	errs := nonNegative(p.Child("observedGeneration"), st.GetObservedGeneration())
	errs = append(errs, nonNegativeCounts(p,
		count{"currentNumberScheduled", st.GetCurrentNumberScheduled()}, count{"numberMisscheduled", st.GetNumberMisscheduled()},
		count{"desiredNumberScheduled", st.GetDesiredNumberScheduled()}, count{"numberReady", st.GetNumberReady()},
		count{"updatedNumberScheduled", st.GetUpdatedNumberScheduled()}, count{"numberAvailable", st.GetNumberAvailable()},
		count{"numberUnavailable", st.GetNumberUnavailable()},
	)...)
	return append(errs, nonNegativePtr32(p.Child("collisionCount"), st.CollisionCount)...)
}

// SelectableFields returns the metadata fields.
func (daemonSetStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
