package nodeinfo

import (
	"github.com/keelson-dev/keelson/pkg/resource"
)

// parseQuantity parses the quantity of the named resource: millicores for cpu, whole units
// (rounded up) for everything else.
func parseQuantity(name, value string) (int64, error) {
	q, err := resource.Parse(value)
	if err != nil {
		return 0, err
	}
	if name == ResourceCPU {
		return q.MilliValue(), nil
	}
	return q.Value(), nil
}
