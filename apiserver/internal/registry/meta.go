package registry

import (
	"crypto/rand"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// maxAnnotationsSize is Kubernetes' limit on the total size of an object's annotations.
const maxAnnotationsSize = 256 * 1024

// nameSuffixAlphabet is what Kubernetes appends to generateName: no vowels, no confusable digits.
const nameSuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// generateName returns prefix followed by five random characters.
func generateName(prefix string) string {
	const n = 5
	var b [n]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, n)
	for i := range b {
		out[i] = nameSuffixAlphabet[int(b[i])%len(nameSuffixAlphabet)]
	}
	if limit := 63 - n; len(prefix) > limit {
		prefix = prefix[:limit]
	}
	return prefix + string(out)
}

// now returns the store's clock in Kubernetes' second precision.
func (s *Store) now() *timestamppb.Timestamp {
	return timestamppb.New(s.clock.Now().Truncate(1e9))
}

// labelNamed reports whether names of the kind must be DNS-1123 labels rather than subdomains.
func (s *Store) labelNamed() bool {
	switch s.kind.Kind {
	case "Namespace", "Service":
		return true
	}
	return false
}

// validateMeta checks the metadata every kind shares and names every bad field.
func (s *Store) validateMeta(m *metav1.ObjectMeta) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("metadata")
	switch {
	case m.GetName() == "":
		errs = append(errs, field.Required(p.Child("name"), "name or generateName is required"))
	default:
		check := validation.IsDNS1123Subdomain
		switch {
		case s.labelNamed():
			check = validation.IsDNS1123Label
		case s.kind.Group == scheme.GroupRBAC:
			// Roles and bindings are named like "system:node", as Kubernetes allows.
			check = validation.IsValidPathSegmentName
		}
		for _, msg := range check(m.GetName()) {
			errs = append(errs, field.Invalid(p.Child("name"), m.GetName(), msg))
		}
	}
	if g := m.GetGenerateName(); g != "" {
		for _, msg := range validation.IsDNS1123Subdomain(strings.TrimSuffix(g, "-") + "x") {
			errs = append(errs, field.Invalid(p.Child("generateName"), g, msg))
		}
	}
	for k, v := range m.GetLabels() {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Child("labels"), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(p.Child("labels"), v, msg))
		}
	}
	size := 0
	for k, v := range m.GetAnnotations() {
		size += len(k) + len(v)
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(p.Child("annotations"), k, msg))
		}
	}
	if size > maxAnnotationsSize {
		errs = append(errs, field.TooLong(p.Child("annotations"), "", maxAnnotationsSize))
	}
	for i, ref := range m.GetOwnerReferences() {
		rp := p.Child("ownerReferences").Index(i)
		if ref.GetApiVersion() == "" {
			errs = append(errs, field.Invalid(rp.Child("apiVersion"), ref.GetApiVersion(), "version must not be empty"))
		}
		if ref.GetKind() == "" {
			errs = append(errs, field.Invalid(rp.Child("kind"), ref.GetKind(), "kind must not be empty"))
		}
		if ref.GetName() == "" {
			errs = append(errs, field.Invalid(rp.Child("name"), ref.GetName(), "name must not be empty"))
		}
		if ref.GetUid() == "" {
			errs = append(errs, field.Invalid(rp.Child("uid"), ref.GetUid(), "uid must not be empty"))
		}
	}
	controllers := 0
	for _, ref := range m.GetOwnerReferences() {
		if ref.GetController() {
			controllers++
		}
	}
	if controllers > 1 {
		errs = append(errs, field.Invalid(p.Child("ownerReferences"), controllers, "Only one reference can have Controller set to true"))
	}
	seen := map[string]bool{}
	for i, f := range m.GetFinalizers() {
		fp := p.Child("finalizers").Index(i)
		for _, msg := range validation.IsQualifiedName(f) {
			errs = append(errs, field.Invalid(fp, f, msg))
		}
		if seen[f] {
			errs = append(errs, field.Duplicate(fp, f))
		}
		seen[f] = true
	}
	return errs
}

// invalid turns validation errors into the Invalid API error for obj.
func (s *Store) invalid(obj scheme.Object, errs field.ErrorList) error {
	return apierrors.NewInvalid(s.kind.Group, s.kind.Kind, obj.GetMetadata().GetName(), s.causes(errs))
}

// causes turns validation errors into API error causes.
func (s *Store) causes(errs field.ErrorList) []apierrors.Cause { return Causes(errs) }

// Causes turns field errors into the causes of an Invalid error.
func Causes(errs field.ErrorList) []apierrors.Cause {
	causes := make([]apierrors.Cause, 0, len(errs))
	for _, e := range errs {
		causes = append(causes, apierrors.Cause{Type: string(e.Type), Message: e.ErrorBody(), Field: e.Field})
	}
	return causes
}

// prepareCreate sets the metadata the server owns on a new object.
func (s *Store) prepareCreate(obj scheme.Object, namespace string) error {
	m := scheme.Meta(obj)
	if err := s.checkObjectNamespace(m.Namespace, namespace); err != nil {
		return err
	}
	if s.kind.Namespaced {
		m.Namespace = namespace
	} else {
		m.Namespace = ""
	}
	if m.ResourceVersion != "" {
		return apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	if m.Name == "" && m.GenerateName != "" {
		m.Name = generateName(m.GenerateName)
	}
	m.Uid = uuid.NewString()
	// Kubernetes stopped setting selfLink in 1.20 and drops what a client sends.
	m.SelfLink = ""
	m.CreationTimestamp = s.now()
	m.DeletionTimestamp = nil
	m.DeletionGracePeriodSeconds = nil
	m.Generation = 1
	return nil
}

// tooLarge is the API error for an object over the size limit.
func (s *Store) tooLarge(obj scheme.Object, size int) error {
	return apierrors.NewRequestEntityTooLarge("%s %q is %d bytes, the limit is %d bytes",
		s.kind.Kind, obj.GetMetadata().GetName(), size, s.maxSize)
}

// dryRunSizeCheck refuses, in a dry run that never reaches storage, what storage would refuse.
func (s *Store) dryRunSizeCheck(obj scheme.Object) error {
	if size := proto.Size(obj); size > s.maxSize {
		return s.tooLarge(obj, size)
	}
	return nil
}

// checkObjectNamespace fails with BadRequest when an object of a namespaced kind names a namespace
// other than the one its request names. An object that names none takes the request's.
func (s *Store) checkObjectNamespace(objNamespace, namespace string) error {
	if s.kind.Namespaced && objNamespace != "" && objNamespace != namespace {
		return apierrors.NewBadRequest("the namespace of the provided object (%q) does not match the namespace sent on the request (%q)", objNamespace, namespace)
	}
	return nil
}
