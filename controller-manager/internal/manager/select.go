package manager

import (
	"fmt"
	"slices"
	"strings"
)

// Select applies the --controllers list to the known controller names and returns the enabled
// ones in known's order. As in kube-controller-manager, a controller runs when the list names it,
// or when the list holds "*" and does not name it as "-name"; an explicit "name" or "-name" wins
// over "*" whatever the order, and the first of "name" and "-name" wins over the other. An unknown name is an error naming the flag and listing the known
// names; an empty list enables nothing.
func Select(list, known []string) ([]string, error) {
	explicit := map[string]bool{} // name -> enabled, by the first item naming it
	star := false
	var unknown []string
	for _, item := range list {
		item = strings.TrimSpace(item)
		name, off := strings.CutPrefix(item, "-")
		switch {
		case item == "*":
			star = true
		case !slices.Contains(known, name):
			unknown = append(unknown, item)
		default:
			if _, seen := explicit[name]; !seen {
				explicit[name] = !off
			}
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--controllers: unknown controller %s; known controllers: %s",
			strings.Join(quote(unknown), ", "), strings.Join(known, ", "))
	}
	var out []string
	for _, name := range known {
		on, named := explicit[name]
		if on || (star && !named) {
			out = append(out, name)
		}
	}
	return out, nil
}

func quote(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}
