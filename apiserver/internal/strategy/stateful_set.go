package strategy

import (
	"cmp"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// statefulSetStrategy holds the rules of apps/v1 stateful sets.
type statefulSetStrategy struct{ noPrepare }

// Default sets replicas 1, OrderedReady pod management, a RollingUpdate strategy with partition 0,
// revisionHistoryLimit 10, a Retain claim retention policy and the template's pod defaults.
func (statefulSetStrategy) Default(obj scheme.Object) {
	ss := obj.(*appsv1.StatefulSet)
	if ss.Spec == nil {
		ss.Spec = &appsv1.StatefulSetSpec{}
	}
	s := ss.Spec
	if s.Replicas == nil {
		s.Replicas = proto.Int32(1)
	}
	setString(&s.PodManagementPolicy, "OrderedReady")
	if s.UpdateStrategy == nil {
		s.UpdateStrategy = &appsv1.StatefulSetUpdateStrategy{}
	}
	setString(&s.UpdateStrategy.Type, "RollingUpdate")
	if s.UpdateStrategy.Type == "RollingUpdate" {
		if s.UpdateStrategy.RollingUpdate == nil {
			s.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
		if s.UpdateStrategy.RollingUpdate.Partition == nil {
			s.UpdateStrategy.RollingUpdate.Partition = proto.Int32(0)
		}
	}
	if s.RevisionHistoryLimit == nil {
		s.RevisionHistoryLimit = proto.Int32(10)
	}
	if s.PersistentVolumeClaimRetentionPolicy == nil {
		s.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	setString(&s.PersistentVolumeClaimRetentionPolicy.WhenDeleted, "Retain")
	setString(&s.PersistentVolumeClaimRetentionPolicy.WhenScaled, "Retain")
	for _, c := range s.VolumeClaimTemplates {
		defaultClaimTemplate(c)
	}
	defaultTemplate(s.Template)
}

// Validate checks replicas, the selector, the template and the policies.
func (statefulSetStrategy) Validate(obj scheme.Object) field.ErrorList {
	spec := cmp.Or(obj.(*appsv1.StatefulSet).GetSpec(), &appsv1.StatefulSetSpec{})
	p := field.NewPath("spec")
	errs := nonNegativePtr32(p.Child("replicas"), spec.Replicas)
	if n := spec.GetServiceName(); n != "" {
		errs = append(errs, dns1123Label(p.Child("serviceName"), n)...)
	}
	errs = append(errs, oneOf(p.Child("podManagementPolicy"), spec.GetPodManagementPolicy(), true, "OrderedReady", "Parallel")...)
	up := p.Child("updateStrategy")
	us := cmp.Or(spec.GetUpdateStrategy(), &appsv1.StatefulSetUpdateStrategy{})
	errs = append(errs, oneOf(up.Child("type"), us.GetType(), true, "OnDelete", "RollingUpdate")...)
	if us.GetType() == "OnDelete" && us.RollingUpdate != nil {
		errs = append(errs, field.Invalid(up.Child("rollingUpdate"), us.RollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"))
	}
	errs = append(errs, nonNegativePtr32(up.Child("rollingUpdate", "partition"), cmp.Or(us.GetRollingUpdate(), &appsv1.RollingUpdateStatefulSetStrategy{}).Partition)...)
	errs = append(errs, nonNegativePtr32(p.Child("revisionHistoryLimit"), spec.RevisionHistoryLimit)...)
	errs = append(errs, nonNegative(p.Child("minReadySeconds"), int64(spec.GetMinReadySeconds()))...)
	if rp := spec.GetPersistentVolumeClaimRetentionPolicy(); rp != nil {
		pp := p.Child("persistentVolumeClaimRetentionPolicy")
		errs = append(errs, oneOf(pp.Child("whenDeleted"), rp.GetWhenDeleted(), true, "Delete", "Retain")...)
		errs = append(errs, oneOf(pp.Child("whenScaled"), rp.GetWhenScaled(), true, "Delete", "Retain")...)
	}
	if o := spec.GetOrdinals(); o != nil {
		errs = append(errs, nonNegative(p.Child("ordinals", "start"), int64(o.GetStart()))...)
	}
	errs = append(errs, validateSelectorAndTemplate(spec.GetSelector(), spec.GetTemplate(), p, "statefulset")...)
	errs = append(errs, validateClaimTemplates(spec.GetVolumeClaimTemplates(), p.Child("volumeClaimTemplates"))...)
	errs = append(errs, validateTemplate(withClaimVolumes(spec.GetTemplate(), spec.GetVolumeClaimTemplates()), p.Child("template"),
		templateRules{restartPolicies: []string{"Always"}, kind: "StatefulSet"})...)
	return errs
}

// validateClaimTemplates checks that every claim template has a name, unique in the set, which
// its pods' volume mounts refer to.
func validateClaimTemplates(claims []*corev1.PersistentVolumeClaim, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, c := range claims {
		np := p.Index(i).Child("metadata", "name")
		switch name := c.GetMetadata().GetName(); {
		case name == "":
			errs = append(errs, field.Required(np, ""))
		case seen[name]:
			errs = append(errs, field.Duplicate(np, name))
		default:
			seen[name] = true
			errs = append(errs, dns1123Label(np, name)...)
		}
		errs = append(errs, validateClaimQuantities(c, p.Index(i))...)
	}
	return errs
}

// withClaimVolumes returns t with a volume for every claim template the template does not already
// name, as each pod of the set gets one, so that its volume mounts may refer to the claims. t is
// not changed.
func withClaimVolumes(t *corev1.PodTemplateSpec, claims []*corev1.PersistentVolumeClaim) *corev1.PodTemplateSpec {
	if len(claims) == 0 || t == nil {
		return t
	}
	t = proto.Clone(t).(*corev1.PodTemplateSpec)
	if t.Spec == nil {
		return t
	}
	have := map[string]bool{}
	for _, v := range t.Spec.Volumes {
		have[v.GetName()] = true
	}
	for _, c := range claims {
		name := c.GetMetadata().GetName()
		if name == "" || have[name] {
			continue
		}
		have[name] = true
		t.Spec.Volumes = append(t.Spec.Volumes, &corev1.Volume{Name: name,
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: name}})
	}
	return t
}

const statefulSetUpdateForbidden = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

// ValidateUpdate checks the replacement; only replicas, ordinals, template, updateStrategy,
// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
func (s statefulSetStrategy) ValidateUpdate(obj, old scheme.Object) field.ErrorList {
	errs := s.Validate(obj)
	spec := cmp.Or(obj.(*appsv1.StatefulSet).GetSpec(), &appsv1.StatefulSetSpec{})
	oldSpec := cmp.Or(old.(*appsv1.StatefulSet).GetSpec(), &appsv1.StatefulSetSpec{})
	munged := proto.Clone(spec).(*appsv1.StatefulSetSpec)
	munged.Replicas = oldSpec.Replicas
	munged.Ordinals = oldSpec.GetOrdinals()
	munged.Template = oldSpec.GetTemplate()
	munged.UpdateStrategy = oldSpec.GetUpdateStrategy()
	munged.RevisionHistoryLimit = oldSpec.RevisionHistoryLimit
	munged.PersistentVolumeClaimRetentionPolicy = oldSpec.GetPersistentVolumeClaimRetentionPolicy()
	munged.MinReadySeconds = oldSpec.GetMinReadySeconds()
	if !proto.Equal(munged, oldSpec) {
		errs = append(errs, field.Forbidden(field.NewPath("spec"), statefulSetUpdateForbidden))
	}
	return errs
}

// ValidateStatus checks the replica counts.
func (statefulSetStrategy) ValidateStatus(obj, _ scheme.Object) field.ErrorList {
	st := obj.(*appsv1.StatefulSet).GetStatus()
	if st == nil {
		st = &appsv1.StatefulSetStatus{} // no status reads as all zero
	}
	p := field.NewPath("status")
	errs := nonNegative(p.Child("observedGeneration"), st.GetObservedGeneration())
	for _, c := range []struct {
		name string
		n    int32
	}{
		{"replicas", st.GetReplicas()}, {"readyReplicas", st.GetReadyReplicas()},
		{"currentReplicas", st.GetCurrentReplicas()}, {"updatedReplicas", st.GetUpdatedReplicas()},
		{"availableReplicas", st.GetAvailableReplicas()},
	} {
		errs = append(errs, nonNegative(p.Child(c.name), int64(c.n))...)
		if c.name != "replicas" && c.n > st.GetReplicas() {
			errs = append(errs, field.Invalid(p.Child(c.name), c.n, "cannot be greater than status.replicas"))
		}
	}
	if st.GetAvailableReplicas() > st.GetReadyReplicas() {
		errs = append(errs, field.Invalid(p.Child("availableReplicas"), st.GetAvailableReplicas(), "cannot be greater than status.readyReplicas"))
	}
	return append(errs, nonNegativePtr32(p.Child("collisionCount"), st.CollisionCount)...)
}

// SelectableFields returns the metadata fields.
func (statefulSetStrategy) SelectableFields(obj scheme.Object) map[string]string {
	return metaFields(obj, 0)
}

// defaultClaimTemplate applies to a volume claim template what Kubernetes does: it is written with
// its type (apiVersion v1, kind PersistentVolumeClaim), its spec gets the claim spec defaults and
// its status phase Pending.
func defaultClaimTemplate(c *corev1.PersistentVolumeClaim) {
	c.ApiVersion, c.Kind = "v1", "PersistentVolumeClaim"
	if c.Spec == nil {
		c.Spec = &corev1.PersistentVolumeClaimSpec{}
	}
	defaultClaimSpec(c.Spec)
	roundResourceList(c.GetStatus().GetCapacity())
	roundResourceList(c.GetStatus().GetAllocatedResources())
	if c.Status == nil {
		c.Status = &corev1.PersistentVolumeClaimStatus{}
	}
	setString(&c.Status.Phase, "Pending")
}
