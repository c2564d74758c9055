package field

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ErrorType says what is wrong with a field. The values match Kubernetes' metav1.CauseType values,
// so they can be sent as a Status cause's type unchanged.
type ErrorType string

// The error types, as Kubernetes names them.
const (
	ErrorTypeNotFound     ErrorType = "FieldValueNotFound"
	ErrorTypeRequired     ErrorType = "FieldValueRequired"
	ErrorTypeDuplicate    ErrorType = "FieldValueDuplicate"
	ErrorTypeInvalid      ErrorType = "FieldValueInvalid"
	ErrorTypeNotSupported ErrorType = "FieldValueNotSupported"
	ErrorTypeForbidden    ErrorType = "FieldValueForbidden"
	ErrorTypeTooLong      ErrorType = "FieldValueTooLong"
	ErrorTypeTooMany      ErrorType = "FieldValueTooMany"
	ErrorTypeInternal     ErrorType = "InternalError"
)

// String returns the human phrase Kubernetes uses for the type, e.g. "Required value".
func (t ErrorType) String() string {
	switch t {
	case ErrorTypeNotFound:
		return "Not found"
	case ErrorTypeRequired:
		return "Required value"
	case ErrorTypeDuplicate:
		return "Duplicate value"
	case ErrorTypeInvalid:
		return "Invalid value"
	case ErrorTypeNotSupported:
		return "Unsupported value"
	case ErrorTypeForbidden:
		return "Forbidden"
	case ErrorTypeTooLong:
		return "Too long"
	case ErrorTypeTooMany:
		return "Too many"
	case ErrorTypeInternal:
		return "Internal error"
	default:
		return fmt.Sprintf("<unknown error %q>", string(t))
	}
}

// Error is a validation failure of one field.
type Error struct {
	Type     ErrorType
	Field    string
	BadValue any
	Detail   string
}

// omitted is the BadValue of errors that do not print their value.
type omitted struct{}

// Error returns "<field>: <body>", as Kubernetes prints it: "spec.containers[0].name: Required
// value", `metadata.name: Invalid value: "A": a lowercase RFC 1123 subdomain ...`.
func (e *Error) Error() string { return e.Field + ": " + e.ErrorBody() }

// String is Error.
func (e *Error) String() string { return e.Error() }

// ErrorBody returns the message without the field name.
func (e *Error) ErrorBody() string {
	s := e.Type.String()
	if e.showsValue() {
		s += ": " + formatValue(e.BadValue)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) showsValue() bool {
	switch e.Type {
	case ErrorTypeInvalid, ErrorTypeNotSupported, ErrorTypeNotFound, ErrorTypeDuplicate, ErrorTypeTooMany:
		return e.BadValue != omitted{}
	}
	return false
}

// formatValue prints simple values plainly, strings quoted, and anything else as JSON.
func formatValue(v any) string {
	switch t := v.(type) {
	case int, int32, int64, uint, uint32, uint64, float32, float64, bool:
		return fmt.Sprint(t)
	case string:
		return strconv.Quote(t)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%#v", v)
}

// Required reports a missing value: empty string, null, empty list.
func Required(path *Path, detail string) *Error {
	return &Error{Type: ErrorTypeRequired, Field: path.String(), BadValue: "", Detail: detail}
}

// Invalid reports a malformed value: a failed pattern, out of range.
func Invalid(path *Path, value any, detail string) *Error {
	return &Error{Type: ErrorTypeInvalid, Field: path.String(), BadValue: value, Detail: detail}
}

// NotSupported reports a value outside an enumeration, listing the supported values.
func NotSupported[T ~string](path *Path, value any, supported []T) *Error {
	detail := ""
	if len(supported) > 0 {
		quoted := make([]string, len(supported))
		for i, v := range supported {
			quoted[i] = strconv.Quote(string(v))
		}
		detail = "supported values: " + strings.Join(quoted, ", ")
	}
	return &Error{Type: ErrorTypeNotSupported, Field: path.String(), BadValue: value, Detail: detail}
}

// Duplicate reports a value that must be unique and is not.
func Duplicate(path *Path, value any) *Error {
	return &Error{Type: ErrorTypeDuplicate, Field: path.String(), BadValue: value}
}

// NotFound reports a value that refers to something that does not exist.
func NotFound(path *Path, value any) *Error {
	return &Error{Type: ErrorTypeNotFound, Field: path.String(), BadValue: value}
}

// Forbidden reports a well-formed value that is not allowed here, e.g. by policy or because the
// field is immutable.
func Forbidden(path *Path, detail string) *Error {
	return &Error{Type: ErrorTypeForbidden, Field: path.String(), BadValue: "", Detail: detail}
}

// TooLong reports a value longer than maxLength bytes; the value itself is not repeated. A
// negative maxLength leaves the limit out of the message.
func TooLong(path *Path, _ any, maxLength int) *Error {
	detail := "value is too long"
	if maxLength >= 0 {
		unit := "bytes"
		if maxLength == 1 {
			unit = "byte"
		}
		detail = fmt.Sprintf("may not be more than %d %s", maxLength, unit)
	}
	return &Error{Type: ErrorTypeTooLong, Field: path.String(), BadValue: "<value omitted>", Detail: detail}
}

// TooMany reports a list with more than maxQuantity items; actual < 0 leaves the count out.
func TooMany(path *Path, actual, maxQuantity int) *Error {
	detail := fmt.Sprintf("must have at most %d items", maxQuantity)
	if maxQuantity == 1 {
		detail = "must have at most 1 item"
	}
	var bad any = actual
	if actual < 0 {
		bad = omitted{}
	}
	return &Error{Type: ErrorTypeTooMany, Field: path.String(), BadValue: bad, Detail: detail}
}

// InternalError reports a failure that is not the caller's fault.
func InternalError(path *Path, err error) *Error {
	return &Error{Type: ErrorTypeInternal, Field: path.String(), BadValue: err, Detail: err.Error()}
}
