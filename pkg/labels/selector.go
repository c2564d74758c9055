package labels

import (
	"slices"
	"strings"
)

// Selector selects objects by their labels. Implementations are immutable.
type Selector interface {
	// Matches reports whether the labels satisfy every requirement.
	Matches(Labels) bool
	// Empty reports whether the selector selects everything.
	Empty() bool
	// String returns the selector in canonical syntax: requirements sorted by key, values
	// sorted. Parse(s.String()) selects the same objects.
	String() string
	// Requirements returns the requirements, all of which must hold; selectable is false for a
	// selector that selects nothing.
	Requirements() (reqs []Requirement, selectable bool)
	// Add returns a new selector with the given requirements added.
	Add(reqs ...Requirement) Selector
	// RequiresExactMatch reports whether the selector requires label to have one specific value,
	// and which.
	RequiresExactMatch(label string) (value string, found bool)
}

// Everything returns a selector that matches all labels.
func Everything() Selector { return requirements(nil) }

// Nothing returns a selector that matches no labels. Its String is "", like Everything's, as in
// Kubernetes; tell them apart with Empty or Requirements.
func Nothing() Selector { return nothing{} }

// SelectorFromSet returns a selector that matches labels carrying every key of set with its value.
// It does not validate the set: a key or value Parse would reject can only fail to match. An empty
// set selects everything.
func SelectorFromSet(set Set) Selector {
	reqs := make(requirements, 0, len(set))
	for k, v := range set {
		reqs = append(reqs, Requirement{key: k, operator: Equals, values: []string{v}})
	}
	return reqs.sorted()
}

// ValidatedSelectorFromSet is SelectorFromSet that first checks every key and value.
func ValidatedSelectorFromSet(set Set) (Selector, error) {
	reqs := make(requirements, 0, len(set))
	for k, v := range set {
		r, err := NewRequirement(k, Equals, []string{v})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	return reqs.sorted(), nil
}

// requirements is a Selector that ANDs its requirements; it is kept sorted.
type requirements []Requirement

func (rs requirements) sorted() requirements {
	slices.SortFunc(rs, compareRequirements)
	return rs
}

func (rs requirements) Matches(ls Labels) bool {
	for i := range rs {
		if !rs[i].Matches(ls) {
			return false
		}
	}
	return true
}

func (rs requirements) Empty() bool { return len(rs) == 0 }

func (rs requirements) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

func (rs requirements) Requirements() ([]Requirement, bool) { return slices.Clone(rs), true }

func (rs requirements) Add(reqs ...Requirement) Selector {
	out := make(requirements, 0, len(rs)+len(reqs))
	out = append(out, rs...)
	out = append(out, reqs...)
	return out.sorted()
}

func (rs requirements) RequiresExactMatch(label string) (string, bool) {
	for _, r := range rs {
		if r.key != label {
			continue
		}
		switch r.operator {
		case Equals, DoubleEquals, In:
			if len(r.values) == 1 {
				return r.values[0], true
			}
		}
	}
	return "", false
}

// nothing is the Selector that matches no labels.
type nothing struct{}

func (nothing) Matches(Labels) bool                      { return false }
func (nothing) Empty() bool                              { return false }
func (nothing) String() string                           { return "" }
func (nothing) Requirements() ([]Requirement, bool)      { return nil, false }
func (n nothing) Add(...Requirement) Selector            { return n }
func (nothing) RequiresExactMatch(string) (string, bool) { return "", false }
