package strategy

import (
	"errors"
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/pkg/resource"
	"github.com/keelson-dev/keelson/pkg/validation/field"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// resourceContext says which resource names a resource list may hold.
type resourceContext int

const (
	containerResource resourceContext = iota
	nodeResource
	quotaResource
	// anyResource takes any qualified name: claims' resources, and the resources a status reports.
	anyResource
)

var (
	containerResources = []string{"cpu", "ephemeral-storage", "memory"}
	nodeResources      = []string{"cpu", "ephemeral-storage", "memory", "pods", "storage"}
	quotaResources     = []string{
		"configmaps", "cpu", "ephemeral-storage", "limits.cpu", "limits.ephemeral-storage", "limits.memory",
		"memory", "persistentvolumeclaims", "pods", "replicationcontrollers", "requests.cpu",
		"requests.ephemeral-storage", "requests.memory", "requests.storage", "resourcequotas", "secrets",
		"services", "services.loadbalancers", "services.nodeports",
	}
)

// validateResourceName checks one key of a resource list: a name standard in its context, or a
// qualified name with a domain prefix (an extended resource such as example.com/gpu).
func validateResourceName(name string, p *field.Path, ctx resourceContext) field.ErrorList {
	if errs := qualifiedName(p, name); len(errs) > 0 {
		return errs
	}
	if strings.Contains(name, "/") {
		return nil
	}
	switch ctx {
	case containerResource:
		if !slices.Contains(containerResources, name) && !strings.HasPrefix(name, "hugepages-") {
			return field.ErrorList{field.Invalid(p, name, "must be a standard resource for containers")}
		}
	case nodeResource:
		if !slices.Contains(nodeResources, name) && !strings.HasPrefix(name, "hugepages-") {
			return field.ErrorList{field.Invalid(p, name, "must be a standard resource type or fully qualified")}
		}
	case quotaResource:
		if !slices.Contains(quotaResources, name) && !strings.HasPrefix(name, "count/") &&
			!strings.HasPrefix(name, "requests.hugepages-") && !strings.HasPrefix(name, "hugepages-") {
			return field.ErrorList{field.Invalid(p, name, "must be a standard resource for quota")}
		}
	}
	return nil
}

// validateResourceList checks a map of resource names to quantities: every name valid in ctx and
// every quantity well formed and not negative.
func validateResourceList(list map[string]string, p *field.Path, ctx resourceContext) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(list) {
		kp := p.Key(name)
		errs = append(errs, validateResourceName(name, kp, ctx)...)
		errs = append(errs, validateQuantity(kp, list[name])...)
	}
	return errs
}

// validateQuantity checks that s is a well-formed quantity that is not negative.
func validateQuantity(p *field.Path, s string) field.ErrorList {
	q, err := resource.Parse(s)
	if err != nil {
		// The field error quotes the value already; keep only Kubernetes' wording of the cause.
		msg := err.Error()
		if cause := errors.Unwrap(err); cause != nil {
			msg = cause.Error()
		}
		return field.ErrorList{field.Invalid(p, s, msg)}
	}
	if q.Sign() < 0 {
		return field.ErrorList{field.Invalid(p, s, msgNonNegative)}
	}
	return nil
}

// validateClaimResources checks the quantities of a volume claim's (or claim template's) resources.
func validateClaimResources(r *corev1.VolumeResourceRequirements, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateResourceList(r.GetLimits(), p.Child("limits"), anyResource)
	return append(errs, validateResourceList(r.GetRequests(), p.Child("requests"), anyResource)...)
}

// validateClaimQuantities checks every quantity of a volume claim template: its spec's resources
// and the capacity and allocated resources of its status.
func validateClaimQuantities(c *corev1.PersistentVolumeClaim, p *field.Path) field.ErrorList {
	errs := validateClaimResources(c.GetSpec().GetResources(), p.Child("spec", "resources"))
	sp := p.Child("status")
	errs = append(errs, validateResourceList(c.GetStatus().GetCapacity(), sp.Child("capacity"), anyResource)...)
	return append(errs, validateResourceList(c.GetStatus().GetAllocatedResources(), sp.Child("allocatedResources"), anyResource)...)
}

// validateResourceRequirements checks a container's requests and limits; no request may exceed its
// limit.
func validateResourceRequirements(r *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateResourceList(r.GetLimits(), p.Child("limits"), containerResource)
	errs = append(errs, validateResourceList(r.GetRequests(), p.Child("requests"), containerResource)...)
	for _, name := range sortedKeys(r.GetRequests()) {
		limit, ok := r.GetLimits()[name]
		if !ok {
			continue
		}
		req, err1 := resource.Parse(r.GetRequests()[name])
		lim, err2 := resource.Parse(limit)
		if err1 != nil || err2 != nil {
			continue // reported above
		}
		if req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(name), r.GetRequests()[name],
				"must be less than or equal to "+name+" limit of "+limit))
		}
	}
	return errs
}
