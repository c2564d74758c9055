package strategy

import (
	"bytes"
	"encoding/json"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
)

// controllerRevisionStrategy holds the rules of apps/v1 controller revisions: a snapshot whose
// data never changes once written. Its revision number may: a workload rolled back to an earlier
// template moves that revision to the top of its history.
type controllerRevisionStrategy struct{ noPrepare }

// Default does nothing: Kubernetes defaults no controller revision field.
func (controllerRevisionStrategy) Default(scheme.Object) {}

// Validate checks that the revision is not negative and the data is one JSON value.
func (controllerRevisionStrategy) Validate(obj scheme.Object) field.ErrorList {
	cr := obj.(*appsv1.ControllerRevision)
	var errs field.ErrorList
	if cr.GetRevision() < 0 {
		errs = append(errs, field.Invalid(field.NewPath("revision"), cr.GetRevision(), "must be greater than or equal to 0"))
	}
	if d := cr.GetData(); len(d) > 0 && !json.Valid(d) {
		errs = append(errs, field.Invalid(field.NewPath("data"), "<value omitted>", "must be a JSON value"))
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does and refuses a change of data, with
// Kubernetes' message.
func (s controllerRevisionStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	cur, prev := obj.(*appsv1.ControllerRevision), old.(*appsv1.ControllerRevision)
	errs := s.Validate(obj)
	if !bytes.Equal(cur.GetData(), prev.GetData()) {
		errs = append(errs, field.Invalid(field.NewPath("data"), "<value omitted>", "field is immutable"))
	}
	return errs
}

// ValidateStatus has nothing to check: controller revisions have no status.
func (controllerRevisionStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (controllerRevisionStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
