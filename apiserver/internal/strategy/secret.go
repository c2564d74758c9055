package strategy

import (
	"encoding/json"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Secret types whose data Kubernetes checks.
const (
	secretOpaque              = "Opaque"
	secretServiceAccountToken = "kubernetes.io/service-account-token"
	secretDockercfg           = "kubernetes.io/dockercfg"
	secretDockerConfigJSON    = "kubernetes.io/dockerconfigjson"
	secretBasicAuth           = "kubernetes.io/basic-auth"
	secretSSHAuth             = "kubernetes.io/ssh-auth"
	secretTLS                 = "kubernetes.io/tls"

	serviceAccountNameAnnotation = "kubernetes.io/service-account.name"
)

// secretStrategy holds the rules of core/v1 secrets.
type secretStrategy struct{ noPrepare }

// Default sets type Opaque and merges stringData into data, as Kubernetes' conversion does:
// stringData wins over data and is then cleared, so it is never stored.
func (secretStrategy) Default(obj scheme.Object) {
	s := obj.(*corev1.Secret)
	setString(&s.Type, secretOpaque)
	if len(s.StringData) > 0 && s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// Validate checks the keys, the total size and the keys each well-known type requires.
func (secretStrategy) Validate(obj scheme.Object) field.ErrorList {
	s := obj.(*corev1.Secret)
	dp := field.NewPath("data")
	var errs field.ErrorList
	size := 0
	for _, k := range sortedKeys(s.GetData()) {
		errs = append(errs, configMapKey(dp.Key(k), k)...)
		size += len(s.GetData()[k])
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(dp, "", maxDataSize))
	}
	data := s.GetData()
	requireKey := func(key string) {
		if _, ok := data[key]; !ok {
			errs = append(errs, field.Required(dp.Key(key), ""))
		}
	}
	switch s.GetType() {
	case secretServiceAccountToken:
		if s.GetMetadata().GetAnnotations()[serviceAccountNameAnnotation] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(serviceAccountNameAnnotation), ""))
		}
	case secretDockercfg:
		requireKey(".dockercfg")
		errs = append(errs, validJSON(dp.Key(".dockercfg"), data[".dockercfg"])...)
	case secretDockerConfigJSON:
		requireKey(".dockerconfigjson")
		errs = append(errs, validJSON(dp.Key(".dockerconfigjson"), data[".dockerconfigjson"])...)
	case secretBasicAuth:
		_, user := data["username"]
		_, pass := data["password"]
		if !user && !pass {
			errs = append(errs, field.Required(dp.Key("username"), ""))
			errs = append(errs, field.Required(dp.Key("password"), ""))
		}
	case secretSSHAuth:
		requireKey("ssh-privatekey")
	case secretTLS:
		requireKey("tls.crt")
		requireKey("tls.key")
	}
	return errs
}

func validJSON(p *field.Path, b []byte) field.ErrorList {
	if b != nil && !json.Valid(b) {
		return field.ErrorList{field.Invalid(p, "<secret contents redacted>", "invalid JSON")}
	}
	return nil
}

// ValidateUpdate checks the replacement; the type never changes, and an immutable secret keeps its
// data and stays immutable.
func (st secretStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := st.Validate(obj)
	s, o := obj.(*corev1.Secret), old.(*corev1.Secret)
	errs = append(errs, immutable(field.NewPath("type"), s.GetType(), o.GetType())...)
	if !o.GetImmutable() {
		return errs
	}
	if !s.GetImmutable() {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
	}
	if !bytesMapsEqual(s.GetData(), o.GetData()) {
		errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
	}
	return errs
}

// ValidateStatus has nothing to check: secrets have no status.
func (secretStrategy) ValidateStatus(_, _ scheme.Object) field.ErrorList { return nil }

// SelectableFields adds type.
func (secretStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["type"] = obj.(*corev1.Secret).GetType()
	return f
}
