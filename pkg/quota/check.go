package quota

import (
	"fmt"
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/pkg/resource"
)

// Mask returns the entries of l whose names are in names.
func Mask(l resource.List, names []string) resource.List {
	out := resource.List{}
	for _, n := range names {
		if q, ok := l[n]; ok {
			out[n] = q
		}
	}
	return out
}

// Limited returns the names of delta that hard limits, sorted: the part of a charge a quota
// tracks.
func Limited(hard, delta resource.List) []string {
	var names []string
	for _, n := range delta.Names() {
		if _, ok := hard[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// Exceeded returns the names among limited whose used plus delta would go beyond hard, sorted.
func Exceeded(hard, used, delta resource.List, limited []string) []string {
	var out []string
	for _, n := range limited {
		if delta[n].Sign() <= 0 {
			continue // a charge that lowers usage never exceeds
		}
		if used[n].Add(delta[n]).Cmp(hard[n]) > 0 {
			out = append(out, n)
		}
	}
	return out
}

// ExceededMessage is Kubernetes' reason for refusing a charge of delta to the quota name whose
// used and hard exceed on the resources exceeded: "exceeded quota: q, requested: pods=1, used:
// pods=2, limited: pods=2".
func ExceededMessage(name string, delta, used, hard resource.List, exceeded []string) string {
	return fmt.Sprintf("exceeded quota: %s, requested: %s, used: %s, limited: %s", name,
		format(Mask(delta, exceeded), exceeded), format(used, exceeded), format(Mask(hard, exceeded), exceeded))
}

// format prints the names of l as "a=1,b=2", a missing one as 0.
func format(l resource.List, names []string) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		q, ok := l[n]
		if !ok {
			q = resource.NewQuantity(0, resource.DecimalSI)
		}
		parts = append(parts, n+"="+q.String())
	}
	return strings.Join(parts, ",")
}

// dedupSorted sorts names and drops repeats.
func dedupSorted(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}
