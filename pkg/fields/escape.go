package fields

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidValue is wrapped by the errors UnescapeValue returns.
var ErrInvalidValue = errors.New("invalid field selector value")

// EscapeValue escapes '\', ',' and '=' with a backslash so that a value can be written into a
// selector.
func EscapeValue(s string) string {
	if !strings.ContainsAny(s, `\,=`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', ',', '=':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UnescapeValue undoes EscapeValue. A backslash before anything but '\', ',' or '=', a trailing
// backslash, or an unescaped ',' or '=' is an error wrapping ErrInvalidValue.
func UnescapeValue(s string) (string, error) {
	if !strings.ContainsAny(s, `\,=`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", fmt.Errorf(`%w: invalid escape sequence: \ at end of value`, ErrInvalidValue)
			}
			i++
			switch s[i] {
			case '\\', ',', '=':
				b.WriteByte(s[i])
			default:
				return "", fmt.Errorf(`%w: invalid escape sequence: \%c`, ErrInvalidValue, s[i])
			}
		case ',', '=':
			return "", fmt.Errorf("%w: unescaped character in value: %q", ErrInvalidValue, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
