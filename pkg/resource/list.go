package resource

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Well-known resource names.
const (
	CPU              = "cpu"
	Memory           = "memory"
	Pods             = "pods"
	EphemeralStorage = "ephemeral-storage"
	Storage          = "storage"
)

// List maps resource names to quantities: a container's requests or limits, a node's capacity or
// allocatable. A name missing from a List counts as zero. The methods never modify their receiver
// or argument.
type List map[string]Quantity

// ParseList parses the string map that API objects carry ({"cpu": "500m", "memory": "128Mi"}).
// The error names every resource whose quantity does not parse, in name order.
func ParseList(in map[string]string) (List, error) {
	out := make(List, len(in))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(in)) {
		q, err := Parse(in[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("resource %q: %w", name, err))
			continue
		}
		out[name] = q
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// Strings returns the list as the string map API objects carry, each quantity in canonical form.
func (l List) Strings() map[string]string {
	out := make(map[string]string, len(l))
	for name, q := range l {
		out[name] = q.String()
	}
	return out
}

// Names returns the resource names, sorted.
func (l List) Names() []string { return slices.Sorted(maps.Keys(l)) }

// Get returns the quantity of name, zero if absent.
func (l List) Get(name string) Quantity { return l[name] }

// Add returns l + o per resource name, over the names of both.
func (l List) Add(o List) List { return l.combine(o, Quantity.Add) }

// Sub returns l - o per resource name, over the names of both; results may be negative.
func (l List) Sub(o List) List { return l.combine(o, Quantity.Sub) }

// combine returns a new list holding op(l[name], o[name]) for the names of o and l[name] for the
// rest.
func (l List) combine(o List, op func(Quantity, Quantity) Quantity) List {
	out := make(List, len(l)+len(o))
	maps.Copy(out, l)
	for name, q := range o {
		out[name] = op(out[name], q)
	}
	return out
}

// Cmp compares the quantity of one resource in l and o, a missing one counting as zero.
func (l List) Cmp(o List, name string) int { return l[name].Cmp(o[name]) }

// Equal reports whether l and o hold the same quantity of every resource, a missing one counting
// as zero.
func (l List) Equal(o List) bool {
	for name := range l {
		if l.Cmp(o, name) != 0 {
			return false
		}
	}
	for name := range o {
		if l.Cmp(o, name) != 0 {
			return false
		}
	}
	return true
}

// Fits reports whether every resource of l is at most the same resource of capacity; a resource
// capacity lacks counts as zero, so a positive request for it does not fit.
func (l List) Fits(capacity List) bool { return len(l.Exceeding(capacity)) == 0 }

// Exceeding returns, sorted, the names of the resources of l that are more than capacity has; a
// scheduler reports them as "Insufficient <name>".
func (l List) Exceeding(capacity List) []string {
	var over []string
	for name := range l {
		if l.Cmp(capacity, name) > 0 {
			over = append(over, name)
		}
	}
	slices.Sort(over)
	return over
}
