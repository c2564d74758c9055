package strategy

import (
	"regexp"
	"slices"

	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func validateSecurityContext(sc *corev1.SecurityContext, p *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, idRange(p.Child("runAsUser"), sc.RunAsUser)...)
	errs = append(errs, idRange(p.Child("runAsGroup"), sc.RunAsGroup)...)
	errs = append(errs, optionalOneOf(p.Child("procMount"), sc.ProcMount, "Default", "Unmasked")...)
	if sc.AllowPrivilegeEscalation != nil && !sc.GetAllowPrivilegeEscalation() {
		if sc.GetPrivileged() {
			errs = append(errs, field.Invalid(p, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
		}
		if slices.Contains(sc.GetCapabilities().GetAdd(), "SYS_ADMIN") || slices.Contains(sc.GetCapabilities().GetAdd(), "CAP_SYS_ADMIN") {
			errs = append(errs, field.Invalid(p, sc, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
		}
	}
	errs = append(errs, validateSeccomp(sc.SeccompProfile, p.Child("seccompProfile"))...)
	errs = append(errs, validateAppArmor(sc.AppArmorProfile, p.Child("appArmorProfile"))...)
	return errs
}

var sysctlRE = regexp.MustCompile(`^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)

func validatePodSecurityContext(sc *corev1.PodSecurityContext, p *field.Path) field.ErrorList {
	if sc == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, idRange(p.Child("runAsUser"), sc.RunAsUser)...)
	errs = append(errs, idRange(p.Child("runAsGroup"), sc.RunAsGroup)...)
	errs = append(errs, idRange(p.Child("fsGroup"), sc.FsGroup)...)
	for i, g := range sc.GetSupplementalGroups() {
		errs = append(errs, idRange(p.Child("supplementalGroups").Index(i), &g)...)
	}
	errs = append(errs, optionalOneOf(p.Child("fsGroupChangePolicy"), sc.FsGroupChangePolicy, "Always", "OnRootMismatch")...)
	names := map[string]bool{}
	for i, s := range sc.GetSysctls() {
		sp := p.Child("sysctls").Index(i)
		switch n := s.GetName(); {
		case n == "":
			errs = append(errs, field.Required(sp.Child("name"), ""))
		case len(n) > 253 || !sysctlRE.MatchString(n):
			errs = append(errs, field.Invalid(sp.Child("name"), n,
				"must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"))
		case names[n]:
			errs = append(errs, field.Duplicate(sp.Child("name"), n))
		}
		names[s.GetName()] = true
	}
	errs = append(errs, validateSeccomp(sc.SeccompProfile, p.Child("seccompProfile"))...)
	errs = append(errs, validateAppArmor(sc.AppArmorProfile, p.Child("appArmorProfile"))...)
	return errs
}

func validateSeccomp(s *corev1.SeccompProfile, p *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	return validateProfile(s.GetType(), s.LocalhostProfile, p, "seccomp")
}

func validateAppArmor(a *corev1.AppArmorProfile, p *field.Path) field.ErrorList {
	if a == nil {
		return nil
	}
	return validateProfile(a.GetType(), a.LocalhostProfile, p, "AppArmor")
}

// validateProfile checks a seccomp or AppArmor profile: a type, and a localhost profile exactly
// when the type is Localhost.
func validateProfile(typ string, localhost *string, p *field.Path, what string) field.ErrorList {
	errs := oneOf(p.Child("type"), typ, true, "Localhost", "RuntimeDefault", "Unconfined")
	switch {
	case typ == "Localhost" && (localhost == nil || *localhost == ""):
		errs = append(errs, field.Required(p.Child("localhostProfile"), "must be set when "+what+" type is Localhost"))
	case typ != "Localhost" && localhost != nil:
		errs = append(errs, field.Invalid(p.Child("localhostProfile"), *localhost, "can only be set when "+what+" type is Localhost"))
	}
	return errs
}
