package strategy

import (
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// validateVolumes checks a pod's volumes and returns the set of their names, for mounts to refer to.
func validateVolumes(vols []*corev1.Volume, p *field.Path) (map[string]*corev1.Volume, field.ErrorList) {
	var errs field.ErrorList
	names := make(map[string]*corev1.Volume, len(vols))
	for i, v := range vols {
		vp := p.Index(i)
		if name := v.GetName(); name == "" {
			errs = append(errs, field.Required(vp.Child("name"), ""))
		} else {
			errs = append(errs, dns1123Label(vp.Child("name"), name)...)
			if _, dup := names[name]; dup {
				errs = append(errs, field.Duplicate(vp.Child("name"), name))
			}
		}
		errs = append(errs, validateVolumeSource(v, vp)...)
		if v.GetName() != "" {
			names[v.GetName()] = v
		}
	}
	return names, errs
}

func validateVolumeSource(v *corev1.Volume, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	one := exclusive{p: p, msg: "may not specify more than 1 volume type"}
	more := one.take
	if s := v.HostPath; s != nil && more("hostPath") {
		if s.GetPath() == "" {
			errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
		}
		errs = append(errs, optionalOneOf(p.Child("hostPath", "type"), s.Type,
			"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice")...)
	}
	if s := v.EmptyDir; s != nil && more("emptyDir") {
		errs = append(errs, oneOf(p.Child("emptyDir", "medium"), s.GetMedium(), false, "Memory", "HugePages")...)
		if s.SizeLimit != nil {
			errs = append(errs, validateQuantity(p.Child("emptyDir", "sizeLimit"), s.GetSizeLimit())...)
		}
	}
	if s := v.Secret; s != nil && more("secret") {
		sp := p.Child("secret")
		if s.GetSecretName() == "" {
			errs = append(errs, field.Required(sp.Child("secretName"), ""))
		}
		errs = append(errs, validateMode(sp.Child("defaultMode"), s.DefaultMode)...)
		errs = append(errs, validateKeyToPaths(s.GetItems(), sp.Child("items"))...)
	}
	if s := v.PersistentVolumeClaim; s != nil && more("persistentVolumeClaim") {
		if s.GetClaimName() == "" {
			errs = append(errs, field.Required(p.Child("persistentVolumeClaim", "claimName"), ""))
		}
	}
	if s := v.DownwardApi; s != nil && more("downwardAPI") {
		dp := p.Child("downwardAPI")
		errs = append(errs, validateMode(dp.Child("defaultMode"), s.DefaultMode)...)
		errs = append(errs, validateDownwardAPIFiles(s.GetItems(), dp.Child("items"))...)
	}
	if s := v.ConfigMap; s != nil && more("configMap") {
		cp := p.Child("configMap")
		if s.GetName() == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		}
		errs = append(errs, validateMode(cp.Child("defaultMode"), s.DefaultMode)...)
		errs = append(errs, validateKeyToPaths(s.GetItems(), cp.Child("items"))...)
	}
	if s := v.Projected; s != nil && more("projected") {
		errs = append(errs, validateProjected(s, p.Child("projected"))...)
	}
	errs = append(errs, validateStorageSources(v, &one, p)...)
	if one.n == 0 {
		errs = append(errs, field.Required(p, "must specify a volume type"))
	}
	return append(errs, one.errs...)
}

func validateProjected(s *corev1.ProjectedVolumeSource, p *field.Path) field.ErrorList {
	errs := validateMode(p.Child("defaultMode"), s.DefaultMode)
	paths := map[string]bool{}
	addPath := func(pp *field.Path, path string) {
		if paths[path] {
			errs = append(errs, field.Invalid(pp, path, "conflicting duplicate paths"))
		}
		paths[path] = true
	}
	for i, src := range s.GetSources() {
		sp := p.Child("sources").Index(i)
		one := exclusive{p: sp, msg: "may not specify more than 1 volume type per source"}
		more := one.take
		if x := src.Secret; x != nil && more("secret") {
			if x.GetName() == "" {
				errs = append(errs, field.Required(sp.Child("secret", "name"), ""))
			}
			errs = append(errs, validateKeyToPaths(x.GetItems(), sp.Child("secret", "items"))...)
			for j, item := range x.GetItems() {
				addPath(sp.Child("secret", "items").Index(j).Child("path"), item.GetPath())
			}
		}
		if x := src.ConfigMap; x != nil && more("configMap") {
			if x.GetName() == "" {
				errs = append(errs, field.Required(sp.Child("configMap", "name"), ""))
			}
			errs = append(errs, validateKeyToPaths(x.GetItems(), sp.Child("configMap", "items"))...)
			for j, item := range x.GetItems() {
				addPath(sp.Child("configMap", "items").Index(j).Child("path"), item.GetPath())
			}
		}
		if x := src.DownwardApi; x != nil && more("downwardAPI") {
			errs = append(errs, validateDownwardAPIFiles(x.GetItems(), sp.Child("downwardAPI", "items"))...)
			for j, item := range x.GetItems() {
				addPath(sp.Child("downwardAPI", "items").Index(j).Child("path"), item.GetPath())
			}
		}
		if x := src.ServiceAccountToken; x != nil && more("serviceAccountToken") {
			tp := sp.Child("serviceAccountToken")
			if x.ExpirationSeconds != nil {
				switch e := x.GetExpirationSeconds(); {
				case e < 10*60:
					errs = append(errs, field.Invalid(tp.Child("expirationSeconds"), e, "may not specify a duration less than 10 minutes"))
				case e > 1<<32:
					errs = append(errs, field.Invalid(tp.Child("expirationSeconds"), e, "may not specify a duration larger than 2^32 seconds"))
				}
			}
			if x.GetPath() == "" {
				errs = append(errs, field.Required(tp.Child("path"), ""))
			} else {
				errs = append(errs, validateLocalPath(tp.Child("path"), x.GetPath())...)
				addPath(tp.Child("path"), x.GetPath())
			}
		}
		if x := src.ClusterTrustBundle; x != nil && more("clusterTrustBundle") {
			errs = append(errs, validateClusterTrustBundle(x, sp.Child("clusterTrustBundle"))...)
			addPath(sp.Child("clusterTrustBundle", "path"), x.GetPath())
		}
		if one.n == 0 {
			errs = append(errs, field.Required(sp, "must specify a volume type"))
		}
		errs = append(errs, one.errs...)
	}
	return errs
}

func validateKeyToPaths(items []*corev1.KeyToPath, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, item := range items {
		ip := p.Index(i)
		if item.GetKey() == "" {
			errs = append(errs, field.Required(ip.Child("key"), ""))
		}
		if item.GetPath() == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		} else {
			errs = append(errs, validateLocalPath(ip.Child("path"), item.GetPath())...)
		}
		errs = append(errs, validateMode(ip.Child("mode"), item.Mode)...)
	}
	return errs
}

func validateDownwardAPIFiles(items []*corev1.DownwardAPIVolumeFile, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, item := range items {
		ip := p.Index(i)
		if item.GetPath() == "" {
			errs = append(errs, field.Required(ip.Child("path"), ""))
		} else {
			errs = append(errs, validateLocalPath(ip.Child("path"), item.GetPath())...)
		}
		errs = append(errs, validateMode(ip.Child("mode"), item.Mode)...)
		switch {
		case item.FieldRef != nil && item.ResourceFieldRef != nil:
			errs = append(errs, field.Invalid(ip, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		case item.FieldRef != nil:
			errs = append(errs, validateFieldRef(item.FieldRef, ip.Child("fieldRef"), volumeFieldPaths)...)
		case item.ResourceFieldRef != nil:
			errs = append(errs, validateResourceFieldRef(item.ResourceFieldRef, ip.Child("resourceFieldRef"), nil)...)
		default:
			errs = append(errs, field.Required(ip, "one of fieldRef and resourceFieldRef is required"))
		}
	}
	return errs
}

// validateMode checks a file mode: 0 to 0777 in octal.
func validateMode(p *field.Path, mode *int32) field.ErrorList {
	if mode != nil && (*mode < 0 || *mode > 0o777) {
		return field.ErrorList{field.Invalid(p, *mode, "must be a number between 0 and 0777 (octal), both inclusive")}
	}
	return nil
}

// validateLocalPath checks a path that must stay inside its volume: relative, with no "..".
func validateLocalPath(p *field.Path, path string) field.ErrorList {
	var errs field.ErrorList
	if strings.HasPrefix(path, "/") {
		errs = append(errs, field.Invalid(p, path, "must be a relative path"))
	}
	for _, part := range strings.Split(path, "/") {
		if part == ".." {
			errs = append(errs, field.Invalid(p, path, "must not contain '..'"))
			break
		}
	}
	return errs
}
