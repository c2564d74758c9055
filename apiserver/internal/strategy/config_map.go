package strategy

import (
	"maps"
	"regexp"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// maxDataSize bounds the total size of a ConfigMap's or Secret's data, as Kubernetes does: 1 MiB.
const maxDataSize = 1 << 20

// configMapStrategy holds the rules of core/v1 config maps.
type configMapStrategy struct{ noPrepare }

// Default does nothing: Kubernetes defaults no config map field.
func (configMapStrategy) Default(scheme.Object) {}

// Validate checks the keys of data and binaryData, that no key is in both, and the total size.
func (configMapStrategy) Validate(obj scheme.Object) field.ErrorList {
	cm := obj.(*corev1.ConfigMap)
	var errs field.ErrorList
	size := 0
	for _, k := range sortedKeys(cm.GetData()) {
		errs = append(errs, configMapKey(field.NewPath("data").Key(k), k)...)
		size += len(cm.GetData()[k])
	}
	for _, k := range sortedKeys(cm.GetBinaryData()) {
		errs = append(errs, configMapKey(field.NewPath("binaryData").Key(k), k)...)
		if _, dup := cm.GetData()[k]; dup {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, "duplicate of key present in binaryData"))
		}
		size += len(cm.GetBinaryData()[k])
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxDataSize))
	}
	return errs
}

// ValidateUpdate checks the replacement; an immutable config map keeps its data and stays
// immutable.
func (s configMapStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	cm, oldCM := obj.(*corev1.ConfigMap), old.(*corev1.ConfigMap)
	if !oldCM.GetImmutable() {
		return errs
	}
	if !cm.GetImmutable() {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
	}
	if !maps.Equal(cm.GetData(), oldCM.GetData()) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
	}
	if !bytesMapsEqual(cm.GetBinaryData(), oldCM.GetBinaryData()) {
		errs = append(errs, field.Forbidden(field.NewPath("binaryData"), "field is immutable when `immutable` is set"))
	}
	return errs
}

// ValidateStatus has nothing to check: config maps have no status.
func (configMapStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields returns the metadata fields.
func (configMapStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}

var configMapKeyRE = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// configMapKey checks a key of a ConfigMap or Secret, as Kubernetes' IsConfigMapKey does.
func configMapKey(p *field.Path, key string) field.ErrorList {
	var msgs []string
	if len(key) > 253 {
		msgs = append(msgs, "must be no more than 253 characters")
	}
	if !configMapKeyRE.MatchString(key) {
		msgs = append(msgs, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
	}
	switch {
	case key == ".":
		msgs = append(msgs, "must not be '.'")
	case key == "..":
		msgs = append(msgs, "must not be '..'")
	case len(key) >= 2 && key[:2] == "..":
		msgs = append(msgs, "must not start with '..'")
	}
	return check(p, key, msgs)
}
