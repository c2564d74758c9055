package strategy

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// eventFieldMaxLength bounds reason, action and the reporting fields, as Kubernetes does.
const eventFieldMaxLength = 128

// eventStrategy holds the rules of core/v1 events.
type eventStrategy struct{ noPrepare }

// Default does nothing: Kubernetes defaults no core/v1 event field; recorders set them.
func (eventStrategy) Default(scheme.Object) {}

// Validate checks that the event is about an object in its own namespace, its type, and the lengths
// of its short fields.
func (eventStrategy) Validate(obj scheme.Object) field.ErrorList {
	ev := obj.(*corev1.Event)
	var errs field.ErrorList
	if ns := ev.GetInvolvedObject().GetNamespace(); ns != "" && ns != ev.GetMetadata().GetNamespace() {
		errs = append(errs, field.Invalid(field.NewPath("involvedObject", "namespace"), ns, "does not match event.namespace"))
	}
	errs = append(errs, oneOf(field.NewPath("type"), ev.GetType(), false, "Normal", "Warning")...)
	for _, f := range []struct {
		name, value string
	}{
		{"reason", ev.GetReason()}, {"action", ev.GetAction()},
		{"reportingComponent", ev.GetReportingComponent()}, {"reportingInstance", ev.GetReportingInstance()},
	} {
		if len(f.value) > eventFieldMaxLength {
			errs = append(errs, field.TooLong(field.NewPath(f.name), "", eventFieldMaxLength))
		}
	}
	errs = append(errs, nonNegative(field.NewPath("count"), int64(ev.GetCount()))...)
	return errs
}

// ValidateUpdate checks the replacement as Validate does. Recorders update count, lastTimestamp and
// message of core/v1 events in place, so none of their fields is immutable.
func (s eventStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus has nothing to check: events have no status.
func (eventStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields adds the involved object's fields, reason, source, type and reportingComponent.
func (eventStrategy) SelectableFields(obj scheme.Object) map[string]string {
	ev := obj.(*corev1.Event)
	io := ev.GetInvolvedObject()
	f := metaFields(obj, 11)
	f["involvedObject.kind"] = io.GetKind()
	f["involvedObject.namespace"] = io.GetNamespace()
	f["involvedObject.name"] = io.GetName()
	f["involvedObject.uid"] = io.GetUid()
	f["involvedObject.apiVersion"] = io.GetApiVersion()
	f["involvedObject.resourceVersion"] = io.GetResourceVersion()
	f["involvedObject.fieldPath"] = io.GetFieldPath()
	f["reason"] = ev.GetReason()
	f["reportingComponent"] = ev.GetReportingComponent()
	f["source"] = ev.GetSource().GetComponent()
	f["type"] = ev.GetType()
	return f
}
