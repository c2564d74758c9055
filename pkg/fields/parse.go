package fields

import (
	"fmt"
	"strings"
)

// Parse parses a field selector. The empty string selects everything. Errors quote the selector
// and the term that is wrong.
func Parse(selector string) (Selector, error) {
	var ts terms
	for _, part := range splitTerms(selector) {
		if part == "" {
			continue
		}
		field, op, rawValue, ok := splitTerm(part)
		if !ok || field == "" {
			return nil, fmt.Errorf("invalid field selector: %q; can't understand %q", selector, part)
		}
		value, err := UnescapeValue(rawValue)
		if err != nil {
			return nil, fmt.Errorf("invalid field selector: %q: term %q: %w", selector, part, err)
		}
		if op == DoubleEquals {
			op = Equals
		}
		ts = append(ts, Requirement{Field: field, Operator: op, Value: value})
	}
	return ts.sorted(), nil
}

// ParseAndTransform parses selector and applies fn to it.
func ParseAndTransform(selector string, fn TransformFunc) (Selector, error) {
	s, err := Parse(selector)
	if err != nil {
		return nil, err
	}
	return s.Transform(fn)
}

// splitTerms splits on commas that are not escaped.
func splitTerms(s string) []string {
	if s == "" {
		return nil
	}
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the next byte is escaped
		case ',':
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// splitTerm splits a term at its first unescaped operator, trying "!=" and "==" before "=".
func splitTerm(term string) (field string, op Operator, value string, ok bool) {
	for i := 0; i < len(term); i++ {
		if term[i] == '\\' {
			i++
			continue
		}
		for _, op := range []Operator{NotEquals, DoubleEquals, Equals} {
			if strings.HasPrefix(term[i:], string(op)) {
				return term[:i], op, term[i+len(op):], true
			}
		}
	}
	return "", "", "", false
}
