package strategy

import (
	"cmp"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	coordinationv1 "github.com/keelson-dev/keelson/proto/coordination/v1"
)

// leaseStrategy holds the rules of coordination.k8s.io/v1 leases.
type leaseStrategy struct{ noPrepare }

// Default does nothing: Kubernetes defaults no lease field.
func (leaseStrategy) Default(scheme.Object) {}

// Validate checks the duration and the transition count.
func (leaseStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*coordinationv1.Lease).GetSpec(), &coordinationv1.LeaseSpec{})
	p := field.NewPath("spec")
	var errs field.ErrorList
	if d := spec.LeaseDurationSeconds; d != nil && *d <= 0 {
		errs = append(errs, field.Invalid(p.Child("leaseDurationSeconds"), *d, "must be greater than 0"))
	}
	return append(errs, nonNegativePtr32(p.Child("leaseTransitions"), spec.LeaseTransitions)...)
}

// ValidateUpdate checks the replacement as Validate does; every lease field may change.
func (s leaseStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus has nothing to check: leases have no status.
func (leaseStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (leaseStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
