package fields

import (
	"errors"
	"fmt"
	"slices"
)

// ErrUnsupportedField is wrapped by the error of a TransformFunc from Supported.
var ErrUnsupportedField = errors.New("field label not supported")

// Supported returns a TransformFunc that accepts only the named fields and rejects any other with
// an error naming it, "field label not supported: spec.foo", which wraps ErrUnsupportedField.
// A server applies it with Selector.Transform or ParseAndTransform.
func Supported(fieldNames ...string) TransformFunc {
	allowed := slices.Clone(fieldNames)
	return func(field, value string) (string, string, error) {
		if !slices.Contains(allowed, field) {
			return "", "", fmt.Errorf("%w: %s", ErrUnsupportedField, field)
		}
		return field, value, nil
	}
}
