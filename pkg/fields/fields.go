package fields

import (
	"sort"
	"strings"
)

// Fields is read access to an object's selectable fields.
type Fields interface {
	// Has reports whether the field is present.
	Has(field string) bool
	// Get returns the field's value, "" if absent.
	Get(field string) string
}

// Set maps field paths to values; it implements Fields.
type Set map[string]string

var _ Fields = Set(nil)

// Has reports whether field is in the set.
func (s Set) Has(field string) bool {
	_, ok := s[field]
	return ok
}

// Get returns field's value, "" if absent.
func (s Set) Get(field string) string { return s[field] }

// String returns the set as a selector string, sorted by field, values escaped.
func (s Set) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + EscapeValue(s[k])
	}
	return strings.Join(parts, ",")
}

// AsSelector returns a selector requiring every field of s to have its value.
func (s Set) AsSelector() Selector { return SelectorFromSet(s) }
