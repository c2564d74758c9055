package labels

import (
	"slices"
	"strconv"
	"strings"

	"github.com/keelson-dev/keelson/pkg/validation"
	"github.com/keelson-dev/keelson/pkg/validation/field"
)

// Operator relates a requirement's key to its values.
type Operator string

// The operators, spelled as in k8s.io/apimachinery/pkg/selection.
const (
	Equals       Operator = "="
	DoubleEquals Operator = "=="
	NotEquals    Operator = "!="
	In           Operator = "in"
	NotIn        Operator = "notin"
	Exists       Operator = "exists"
	DoesNotExist Operator = "!"
	GreaterThan  Operator = "gt"
	LessThan     Operator = "lt"
)

// operators lists the valid operators, binary ones first, for error messages.
func operators() []Operator {
	return []Operator{In, NotIn, Equals, DoubleEquals, NotEquals, GreaterThan, LessThan, Exists, DoesNotExist}
}

// Requirement is one condition on one label. The zero value is not valid; build one with
// NewRequirement or get it from a parsed Selector.
type Requirement struct {
	key      string
	operator Operator
	values   []string // sorted, without duplicates
}

// NewRequirement validates and returns a requirement:
//   - key must be a qualified name;
//   - In and NotIn take one or more values; Equals, DoubleEquals and NotEquals exactly one; Exists
//     and DoesNotExist none; GreaterThan and LessThan exactly one integer;
//   - every value must be a valid label value (the empty string is one).
//
// The error, if any, is a field.AggregateError naming each problem, e.g.
// `key: Invalid value: "-app": name part must consist of ...`.
func NewRequirement(key string, op Operator, values []string) (Requirement, error) {
	var errs field.ErrorList
	if msgs := validation.IsQualifiedName(key); len(msgs) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("key"), key, strings.Join(msgs, "; ")))
	}
	valuesPath := field.NewPath("values")
	switch op {
	case In, NotIn:
		if len(values) == 0 {
			errs = append(errs, field.Invalid(valuesPath, values, "for 'in', 'notin' operators, values set can't be empty"))
		}
	case Equals, DoubleEquals, NotEquals:
		if len(values) != 1 {
			errs = append(errs, field.Invalid(valuesPath, values, "exact-match compatibility requires one single value"))
		}
	case Exists, DoesNotExist:
		if len(values) != 0 {
			errs = append(errs, field.Invalid(valuesPath, values, "values set must be empty for exists and does not exist"))
		}
	case GreaterThan, LessThan:
		if len(values) != 1 {
			errs = append(errs, field.Invalid(valuesPath, values, "for 'Gt', 'Lt' operators, exactly one value is required"))
		}
		for i, v := range values {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				errs = append(errs, field.Invalid(valuesPath.Index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"))
			}
		}
	default:
		errs = append(errs, field.NotSupported(field.NewPath("operator"), op, operators()))
	}
	for i, v := range values {
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			errs = append(errs, field.Invalid(valuesPath.Index(i), v, strings.Join(msgs, "; ")))
		}
	}
	if err := errs.ToAggregate(); err != nil {
		return Requirement{}, err
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return Requirement{key: key, operator: op, values: slices.Compact(sorted)}, nil
}

// Key returns the label key.
func (r Requirement) Key() string { return r.key }

// Operator returns the operator.
func (r Requirement) Operator() Operator { return r.operator }

// Values returns a copy of the values, sorted and without duplicates.
func (r Requirement) Values() []string { return slices.Clone(r.values) }

// Equal reports whether r and o are the same requirement.
func (r Requirement) Equal(o Requirement) bool {
	return r.key == o.key && r.operator == o.operator && slices.Equal(r.values, o.values)
}

// Matches reports whether ls satisfies the requirement:
//   - In, Equals, DoubleEquals: the label is present with one of the values;
//   - NotIn, NotEquals: the label is absent or has none of the values;
//   - Exists, DoesNotExist: the label is present, absent;
//   - GreaterThan, LessThan: the label is present, its value is an integer, and it compares so.
func (r Requirement) Matches(ls Labels) bool {
	switch r.operator {
	case In, Equals, DoubleEquals:
		return ls.Has(r.key) && r.hasValue(ls.Get(r.key))
	case NotIn, NotEquals:
		return !ls.Has(r.key) || !r.hasValue(ls.Get(r.key))
	case Exists:
		return ls.Has(r.key)
	case DoesNotExist:
		return !ls.Has(r.key)
	case GreaterThan, LessThan:
		if !ls.Has(r.key) || len(r.values) != 1 {
			return false
		}
		have, err := strconv.ParseInt(ls.Get(r.key), 10, 64)
		if err != nil {
			return false
		}
		want, err := strconv.ParseInt(r.values[0], 10, 64)
		if err != nil {
			return false
		}
		if r.operator == GreaterThan {
			return have > want
		}
		return have < want
	}
	return false
}

func (r Requirement) hasValue(v string) bool {
	// Values are few (usually one), so a scan beats a binary search.
	return slices.Contains(r.values, v)
}

// String returns the requirement in selector syntax: "key", "!key", "key=v", "key==v", "key!=v",
// "key in (a,b)", "key notin (a,b)", "key>1", "key<1".
func (r Requirement) String() string {
	var b strings.Builder
	if r.operator == DoesNotExist {
		b.WriteByte('!')
	}
	b.WriteString(r.key)
	switch r.operator {
	case Exists, DoesNotExist:
		return b.String()
	case In, NotIn:
		b.WriteString(" " + string(r.operator) + " (")
		b.WriteString(strings.Join(r.values, ","))
		b.WriteByte(')')
		return b.String()
	case GreaterThan:
		b.WriteByte('>')
	case LessThan:
		b.WriteByte('<')
	default:
		b.WriteString(string(r.operator))
	}
	b.WriteString(strings.Join(r.values, ","))
	return b.String()
}

// compareRequirements orders requirements by key, then operator, then values, which makes a
// selector's String canonical.
func compareRequirements(a, b Requirement) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	if c := strings.Compare(string(a.operator), string(b.operator)); c != 0 {
		return c
	}
	return slices.Compare(a.values, b.values)
}
