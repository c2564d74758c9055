package labels

import (
	"sort"
	"strings"
)

// Labels is read access to a set of labels.
type Labels interface {
	// Has reports whether the label is present.
	Has(label string) bool
	// Get returns the label's value, "" if absent.
	Get(label string) string
}

// Set is a map of labels; it implements Labels.
type Set map[string]string

var _ Labels = Set(nil)

// Has reports whether label is in the set.
func (s Set) Has(label string) bool {
	_, ok := s[label]
	return ok
}

// Get returns label's value, "" if absent.
func (s Set) Get(label string) string { return s[label] }

// String returns the set as "k1=v1,k2=v2", sorted by key.
func (s Set) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s[k])
	}
	return b.String()
}

// AsSelector returns a selector matching objects that carry every label of s; see SelectorFromSet.
func (s Set) AsSelector() Selector { return SelectorFromSet(s) }
