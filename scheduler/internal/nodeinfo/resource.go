package nodeinfo

import (
	"fmt"
	"maps"
	"sort"
)

// Resource names the scheduler treats specially; every other name is a scalar resource.
const (
	ResourceCPU              = "cpu"
	ResourceMemory           = "memory"
	ResourceEphemeralStorage = "ephemeral-storage"
	ResourcePods             = "pods"
)

// Resource is an amount of each resource the scheduler accounts for. CPU is in millicores, memory
// and ephemeral storage in bytes, scalar (extended) resources in their own units.
type Resource struct {
	MilliCPU         int64
	Memory           int64
	EphemeralStorage int64
	// Pods is the number of pods a node allows; it is set only on allocatable.
	Pods int64
	// Scalar holds extended resources such as example.com/gpu or hugepages-2Mi; nil when none.
	Scalar map[string]int64
}

// ParseResourceList converts a Kubernetes resource list (names to quantities such as "500m" or
// "1Gi") to a Resource. It fails naming the first resource whose quantity does not parse.
func ParseResourceList(list map[string]string) (Resource, error) {
	var r Resource
	names := make([]string, 0, len(list))
	for name := range list {
		names = append(names, name)
	}
	sort.Strings(names) // the first error reported does not depend on map order
	for _, name := range names {
		v, err := parseQuantity(name, list[name])
		if err != nil {
			return Resource{}, fmt.Errorf("resource %s: %w", name, err)
		}
		r.set(name, v)
	}
	return r, nil
}

// set stores v under name.
func (r *Resource) set(name string, v int64) {
	switch name {
	case ResourceCPU:
		r.MilliCPU = v
	case ResourceMemory:
		r.Memory = v
	case ResourceEphemeralStorage:
		r.EphemeralStorage = v
	case ResourcePods:
		r.Pods = v
	default:
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[name] = v
	}
}

// Add adds o to r.
func (r *Resource) Add(o Resource) {
	r.MilliCPU += o.MilliCPU
	r.Memory += o.Memory
	r.EphemeralStorage += o.EphemeralStorage
	r.Pods += o.Pods
	for name, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[name] += v
	}
}

// Sub subtracts o from r.
func (r *Resource) Sub(o Resource) {
	r.MilliCPU -= o.MilliCPU
	r.Memory -= o.Memory
	r.EphemeralStorage -= o.EphemeralStorage
	r.Pods -= o.Pods
	for name, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[name] -= v
	}
}

// SetMax raises each amount of r to o's where o's is larger.
func (r *Resource) SetMax(o Resource) {
	r.MilliCPU = max(r.MilliCPU, o.MilliCPU)
	r.Memory = max(r.Memory, o.Memory)
	r.EphemeralStorage = max(r.EphemeralStorage, o.EphemeralStorage)
	r.Pods = max(r.Pods, o.Pods)
	for name, v := range o.Scalar {
		if r.Scalar == nil {
			r.Scalar = map[string]int64{}
		}
		r.Scalar[name] = max(r.Scalar[name], v)
	}
}

// Clone returns a deep copy of r.
func (r Resource) Clone() Resource {
	r.Scalar = maps.Clone(r.Scalar)
	return r
}

// Get returns the amount of the named resource.
func (r Resource) Get(name string) int64 {
	switch name {
	case ResourceCPU:
		return r.MilliCPU
	case ResourceMemory:
		return r.Memory
	case ResourceEphemeralStorage:
		return r.EphemeralStorage
	case ResourcePods:
		return r.Pods
	default:
		return r.Scalar[name]
	}
}
