package job

import (
	"slices"
	"strconv"
	"strings"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// podIndex returns the completion index of an Indexed Job's pod, from its annotation (its label
// when the annotation is missing), and whether it is a valid index below completions.
func podIndex(pod *corev1.Pod, completions int) (int, bool) {
	m := pod.GetMetadata()
	v, ok := m.GetAnnotations()[CompletionIndexKey]
	if !ok {
		v, ok = m.GetLabels()[CompletionIndexKey]
	}
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= completions {
		return 0, false
	}
	return i, true
}

// parseIndexes reads status.completedIndexes ("1,3-5") into a set, keeping only indexes below
// completions; malformed parts are skipped.
func parseIndexes(s string, completions int) map[int]bool {
	out := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := max(first, 0); i <= last && i < completions; i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes a set of indexes as Kubernetes does: ascending, runs of consecutive
// indexes as "first-last", separated by commas ("1,3-5").
func formatIndexes(set map[int]bool) string {
	idx := make([]int, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return b.String()
}
