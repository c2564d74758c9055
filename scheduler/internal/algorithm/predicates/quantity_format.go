package predicates

import (
	"strconv"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// FormatQuantity writes an amount of the named resource for people: cpu in cores ("2", "1.5",
// "0.25"), memory and storage in binary units ("512Mi", "1.5Gi"), anything else as a number.
func FormatQuantity(name string, v int64) string {
	switch name {
	case nodeinfo.ResourceCPU:
		return strconv.FormatFloat(float64(v)/1000, 'f', -1, 64)
	case nodeinfo.ResourceMemory, nodeinfo.ResourceEphemeralStorage:
		return formatBytes(v)
	default:
		return strconv.FormatInt(v, 10)
	}
}

func formatBytes(v int64) string {
	units := []string{"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"}
	for i, u := range units {
		size := int64(1) << (10 * (len(units) - i))
		if v >= size {
			if v%size == 0 {
				return strconv.FormatInt(v/size, 10) + u
			}
			return strconv.FormatFloat(float64(v)/float64(size), 'f', 1, 64) + u
		}
	}
	return strconv.FormatInt(v, 10)
}
