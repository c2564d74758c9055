package fields

import (
	"cmp"
	"slices"
	"strings"
)

// Operator relates a field to a value.
type Operator string

// The operators of field selectors.
const (
	Equals       Operator = "="
	DoubleEquals Operator = "=="
	NotEquals    Operator = "!="
)

// Requirement is one term of a selector. Operator is Equals or NotEquals: "==" is parsed as
// Equals.
type Requirement struct {
	Field    string
	Operator Operator
	Value    string
}

// Matches reports whether fs satisfies the requirement. An absent field has the value "", as in
// Kubernetes.
func (r Requirement) Matches(fs Fields) bool {
	if r.Operator == NotEquals {
		return fs.Get(r.Field) != r.Value
	}
	return fs.Get(r.Field) == r.Value
}

// String returns the requirement in selector syntax with the value escaped.
func (r Requirement) String() string {
	return r.Field + string(r.Operator) + EscapeValue(r.Value)
}

// TransformFunc rewrites one requirement's field and value, e.g. to map a legacy field name, or
// rejects it. Returning an empty field drops the requirement.
type TransformFunc func(field, value string) (newField, newValue string, err error)

// Selector selects objects by their fields. Implementations are immutable.
type Selector interface {
	// Matches reports whether the fields satisfy every requirement.
	Matches(Fields) bool
	// Empty reports whether the selector selects everything.
	Empty() bool
	// RequiresExactMatch reports whether the selector requires field to equal one value, and
	// which.
	RequiresExactMatch(field string) (value string, found bool)
	// Transform returns the selector with fn applied to every requirement, or fn's first error.
	Transform(fn TransformFunc) (Selector, error)
	// Requirements returns the requirements, sorted by field.
	Requirements() []Requirement
	// String returns the selector in canonical syntax; Parse(s.String()) selects the same
	// objects.
	String() string
}

// Everything returns a selector that matches all objects.
func Everything() Selector { return terms(nil) }

// OneTermEqualSelector returns the selector "field=value".
func OneTermEqualSelector(field, value string) Selector {
	return terms{{Field: field, Operator: Equals, Value: value}}
}

// OneTermNotEqualSelector returns the selector "field!=value".
func OneTermNotEqualSelector(field, value string) Selector {
	return terms{{Field: field, Operator: NotEquals, Value: value}}
}

// SelectorFromSet returns a selector requiring every field of set to have its value; an empty set
// selects everything.
func SelectorFromSet(set Set) Selector {
	ts := make(terms, 0, len(set))
	for f, v := range set {
		ts = append(ts, Requirement{Field: f, Operator: Equals, Value: v})
	}
	return ts.sorted()
}

// AndSelectors returns a selector requiring every one of selectors.
func AndSelectors(selectors ...Selector) Selector {
	var ts terms
	for _, s := range selectors {
		ts = append(ts, s.Requirements()...)
	}
	return ts.sorted()
}

// terms is a Selector that ANDs its requirements; it is kept sorted.
type terms []Requirement

func (ts terms) sorted() terms {
	slices.SortFunc(ts, func(a, b Requirement) int {
		return cmp.Or(strings.Compare(a.Field, b.Field), strings.Compare(string(a.Operator), string(b.Operator)), strings.Compare(a.Value, b.Value))
	})
	return slices.Compact(ts)
}

func (ts terms) Matches(fs Fields) bool {
	for _, t := range ts {
		if !t.Matches(fs) {
			return false
		}
	}
	return true
}

func (ts terms) Empty() bool { return len(ts) == 0 }

func (ts terms) RequiresExactMatch(field string) (string, bool) {
	for _, t := range ts {
		if t.Field == field && t.Operator == Equals {
			return t.Value, true
		}
	}
	return "", false
}

func (ts terms) Transform(fn TransformFunc) (Selector, error) {
	out := make(terms, 0, len(ts))
	for _, t := range ts {
		f, v, err := fn(t.Field, t.Value)
		if err != nil {
			return nil, err
		}
		if f == "" {
			continue
		}
		out = append(out, Requirement{Field: f, Operator: t.Operator, Value: v})
	}
	return out.sorted(), nil
}

func (ts terms) Requirements() []Requirement { return slices.Clone(ts) }

func (ts terms) String() string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}
