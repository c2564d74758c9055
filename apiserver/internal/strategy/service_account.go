package strategy

import (
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// serviceAccountStrategy holds the rules of core/v1 service accounts.
type serviceAccountStrategy struct{ noPrepare }

// Default does nothing: Kubernetes defaults no service account field.
func (serviceAccountStrategy) Default(scheme.Object) {}

// Validate checks that the referenced secrets are named validly.
func (serviceAccountStrategy) Validate(obj scheme.Object) field.ErrorList {
	sa := obj.(*corev1.ServiceAccount)
	var errs field.ErrorList
	for i, s := range sa.GetSecrets() {
		if n := s.GetName(); n != "" {
			errs = append(errs, dns1123Subdomain(field.NewPath("secrets").Index(i).Child("name"), n)...)
		}
	}
	for i, s := range sa.GetImagePullSecrets() {
		np := field.NewPath("imagePullSecrets").Index(i).Child("name")
		if s.GetName() == "" {
			errs = append(errs, field.Required(np, ""))
		} else {
			errs = append(errs, dns1123Subdomain(np, s.GetName())...)
		}
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does; every field may change.
func (s serviceAccountStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus has nothing to check: service accounts have no status.
func (serviceAccountStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (serviceAccountStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}
