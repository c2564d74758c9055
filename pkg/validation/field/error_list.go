package field

import "strings"

// ErrorList collects field errors; a nil or empty list means valid.
type ErrorList []*Error

// ToAggregate returns nil for an empty list and otherwise an *AggregateError holding the list.
func (l ErrorList) ToAggregate() error {
	if len(l) == 0 {
		return nil
	}
	return &AggregateError{Errs: l}
}

// Filter returns the errors for which keep returns true.
func (l ErrorList) Filter(keep func(*Error) bool) ErrorList {
	var out ErrorList
	for _, e := range l {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// AggregateError is an error made of several field errors. Use errors.As to get at them.
type AggregateError struct {
	Errs ErrorList
}

// Error prints one error as itself and several as Kubernetes' aggregate does: "[a, b]", with
// duplicate messages printed once.
func (a *AggregateError) Error() string {
	seen := make(map[string]bool, len(a.Errs))
	var msgs []string
	for _, e := range a.Errs {
		m := e.Error()
		if seen[m] {
			continue
		}
		seen[m] = true
		msgs = append(msgs, m)
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// Unwrap returns the field errors, so errors.As and errors.Is see each one.
func (a *AggregateError) Unwrap() []error {
	out := make([]error, len(a.Errs))
	for i, e := range a.Errs {
		out[i] = e
	}
	return out
}
