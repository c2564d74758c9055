package strategy

import (
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// namespaceFinalizer is the finalizer the namespace controller removes once a namespace is empty.
const namespaceFinalizer = "kubernetes"

// namespaceStrategy holds the rules of core/v1 namespaces.
type namespaceStrategy struct{}

// PrepareForUpdate keeps the stored spec.finalizers: only the finalize subresource changes them, as
// in Kubernetes, so the namespace controller's finalizer cannot be dropped by a plain update.
func (namespaceStrategy) PrepareForUpdate(obj, old scheme.Object) {
	ns, prev := obj.(*corev1.Namespace), old.(*corev1.Namespace)
	if ns.Spec == nil {
		ns.Spec = &corev1.NamespaceSpec{}
	}
	ns.Spec.Finalizers = slices.Clone(prev.GetSpec().GetFinalizers())
}

// namespaceNameLabel is the label Kubernetes puts on every namespace, holding its name, so that
// label selectors can pick namespaces by name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// Default labels a named namespace with its name, adds the kubernetes finalizer and sets phase
// Active on a namespace that has no phase.
func (namespaceStrategy) Default(obj scheme.Object) {
	ns := obj.(*corev1.Namespace)
	if name := ns.GetMetadata().GetName(); name != "" {
		if ns.Metadata.Labels == nil {
			ns.Metadata.Labels = map[string]string{}
		}
		ns.Metadata.Labels[namespaceNameLabel] = name
	}
	if ns.Spec == nil {
		ns.Spec = &corev1.NamespaceSpec{}
	}
	if !slices.Contains(ns.Spec.Finalizers, namespaceFinalizer) {
		ns.Spec.Finalizers = append(ns.Spec.Finalizers, namespaceFinalizer)
	}
	if ns.Status == nil {
		ns.Status = &corev1.NamespaceStatus{}
	}
	setString(&ns.Status.Phase, "Active")
}

// Validate checks the finalizer names.
func (namespaceStrategy) Validate(obj scheme.Object) field.ErrorList {
	return validateNamespaceFinalizers(obj.(*corev1.Namespace).GetSpec().GetFinalizers())
}

func validateNamespaceFinalizers(fs []string) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec", "finalizers")
	for i, f := range fs {
		fp := p.Index(i)
		errs = append(errs, qualifiedName(fp, f)...)
		if !strings.Contains(f, "/") && f != namespaceFinalizer {
			errs = append(errs, field.Invalid(fp, f, "name is neither a standard finalizer name nor is it fully qualified"))
		}
	}
	return errs
}

// ValidateUpdate checks the replacement as Validate does. spec.finalizers changes only through the
// finalize subresource, which the store handles.
func (s namespaceStrategy) ValidateUpdate(obj, _ scheme.Object) field.ErrorList {
	return s.Validate(obj)
}

// ValidateStatus checks the phase and that a terminating namespace stays terminating.
func (namespaceStrategy) ValidateStatus(obj, old scheme.Object) field.ErrorList {
	st, oldSt := obj.(*corev1.Namespace).GetStatus(), old.(*corev1.Namespace).GetStatus()
	p := field.NewPath("status", "phase")
	errs := oneOf(p, st.GetPhase(), true, "Active", "Terminating")
	if oldSt.GetPhase() == "Terminating" && st.GetPhase() == "Active" {
		errs = append(errs, field.Forbidden(p, "a terminating namespace may not become active again"))
	}
	return errs
}

// SelectableFields adds status.phase.
func (namespaceStrategy) SelectableFields(obj scheme.Object) map[string]string {
	f := metaFields(obj, 1)
	f["status.phase"] = obj.(*corev1.Namespace).GetStatus().GetPhase()
	return f
}
