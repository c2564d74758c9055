package apierrors

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Reason is a Kubernetes StatusReason.
type Reason string

// The reasons Keelson returns, spelled as Kubernetes spells them.
const (
	ReasonUnknown               Reason = ""
	ReasonNotFound              Reason = "NotFound"
	ReasonAlreadyExists         Reason = "AlreadyExists"
	ReasonConflict              Reason = "Conflict"
	ReasonInvalid               Reason = "Invalid"
	ReasonBadRequest            Reason = "BadRequest"
	ReasonForbidden             Reason = "Forbidden"
	ReasonUnauthorized          Reason = "Unauthorized"
	ReasonGone                  Reason = "Gone"
	ReasonExpired               Reason = "Expired"
	ReasonMethodNotAllowed      Reason = "MethodNotAllowed"
	ReasonNotAcceptable         Reason = "NotAcceptable"
	ReasonUnsupportedMediaType  Reason = "UnsupportedMediaType"
	ReasonRequestEntityTooLarge Reason = "RequestEntityTooLarge"
	ReasonTooManyRequests       Reason = "TooManyRequests"
	ReasonTimeout               Reason = "Timeout"
	ReasonServerTimeout         Reason = "ServerTimeout"
	ReasonServiceUnavailable    Reason = "ServiceUnavailable"
	ReasonInternalError         Reason = "InternalError"
)

// Cause is one reason a request failed, usually one bad field.
type Cause struct {
	// Type is a Kubernetes CauseType such as FieldValueRequired or FieldValueInvalid.
	Type string
	// Message says what is wrong, in words.
	Message string
	// Field is the path of the bad field ("spec.containers[0].name"), if any.
	Field string
}

// Details names the object an error is about.
type Details struct {
	Group             string
	Kind              string
	Name              string
	UID               string
	Causes            []Cause
	RetryAfterSeconds int32
}

// StatusError is an API error: what a Kubernetes Status object says, as a Go error.
type StatusError struct {
	Reason  Reason
	Code    int32
	Message string
	Details *Details
}

// Error returns the message.
func (e *StatusError) Error() string { return e.Message }

// ReasonFor returns err's reason, or ReasonUnknown when err is not a StatusError.
func ReasonFor(err error) Reason {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Reason
	}
	return ReasonUnknown
}

// CodeFor returns err's HTTP code: 500 for errors that are not StatusErrors.
func CodeFor(err error) int32 {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return http.StatusInternalServerError
}

// IsNotFound reports whether err says the object does not exist.
func IsNotFound(err error) bool { return ReasonFor(err) == ReasonNotFound }

// IsAlreadyExists reports whether err says the name is taken.
func IsAlreadyExists(err error) bool { return ReasonFor(err) == ReasonAlreadyExists }

// IsConflict reports whether err is an optimistic-concurrency or precondition failure.
func IsConflict(err error) bool { return ReasonFor(err) == ReasonConflict }

// IsInvalid reports whether err says the object failed validation.
func IsInvalid(err error) bool { return ReasonFor(err) == ReasonInvalid }

// IsBadRequest reports whether err says the request itself was malformed.
func IsBadRequest(err error) bool { return ReasonFor(err) == ReasonBadRequest }

// IsForbidden reports whether err says the request is not allowed.
func IsForbidden(err error) bool { return ReasonFor(err) == ReasonForbidden }

// IsGone reports whether err says a resource version is no longer available (410): the caller should
// relist.
func IsGone(err error) bool {
	r := ReasonFor(err)
	return r == ReasonGone || r == ReasonExpired
}

// IsTooLarge reports whether err says the object or request is too large.
func IsTooLarge(err error) bool { return ReasonFor(err) == ReasonRequestEntityTooLarge }

// IsServiceUnavailable reports whether err says the server could not take the request.
func IsServiceUnavailable(err error) bool { return ReasonFor(err) == ReasonServiceUnavailable }

// IsTimeout reports whether err says the server gave up waiting.
func IsTimeout(err error) bool {
	r := ReasonFor(err)
	return r == ReasonTimeout || r == ReasonServerTimeout
}

// Causes returns the causes err carries.
func Causes(err error) []Cause {
	var se *StatusError
	if errors.As(err, &se) && se.Details != nil {
		return se.Details.Causes
	}
	return nil
}

// qualified returns "resource.group" or "resource" for the core group, as Kubernetes names a
// group-resource in messages.
func qualified(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

// NewNotFound says that the named object of group/resource does not exist.
func NewNotFound(group, resource, name string) *StatusError {
	return &StatusError{
		Reason:  ReasonNotFound,
		Code:    http.StatusNotFound,
		Message: fmt.Sprintf("%s %q not found", qualified(group, resource), name),
		Details: &Details{Group: group, Kind: resource, Name: name},
	}
}

// NewAlreadyExists says that the name is taken.
func NewAlreadyExists(group, resource, name string) *StatusError {
	return &StatusError{
		Reason:  ReasonAlreadyExists,
		Code:    http.StatusConflict,
		Message: fmt.Sprintf("%s %q already exists", qualified(group, resource), name),
		Details: &Details{Group: group, Kind: resource, Name: name},
	}
}

// NewGenerateNameConflict says that a name generated from generateName was taken.
func NewGenerateNameConflict(group, resource, name string) *StatusError {
	return &StatusError{
		Reason: ReasonAlreadyExists,
		Code:   http.StatusConflict,
		Message: fmt.Sprintf("%s %q already exists, the server was not able to generate a unique name for the object",
			qualified(group, resource), name),
		Details: &Details{Group: group, Kind: resource, Name: name, RetryAfterSeconds: 1},
	}
}

// ModifiedMessage is the standard explanation of an optimistic-concurrency conflict.
const ModifiedMessage = "the object has been modified; please apply your changes to the latest version and try again"

// NewConflict says that the write could not be applied to the named object; reason explains why
// (ModifiedMessage for a stale resourceVersion).
func NewConflict(group, resource, name, reason string) *StatusError {
	return &StatusError{
		Reason:  ReasonConflict,
		Code:    http.StatusConflict,
		Message: fmt.Sprintf("Operation cannot be fulfilled on %s %q: %s", qualified(group, resource), name, reason),
		Details: &Details{Group: group, Kind: resource, Name: name},
	}
}

// NewInvalid says that the object failed validation; causes name every bad field.
func NewInvalid(group, kind, name string, causes []Cause) *StatusError {
	msgs := make([]string, 0, len(causes))
	for _, c := range causes {
		if c.Field != "" {
			msgs = append(msgs, c.Field+": "+c.Message)
		} else {
			msgs = append(msgs, c.Message)
		}
	}
	qk := kind
	if group != "" {
		qk = kind + "." + group
	}
	msg := fmt.Sprintf("%s %q is invalid", qk, name)
	switch len(msgs) {
	case 0:
	case 1:
		msg += ": " + msgs[0]
	default:
		msg += ": [" + strings.Join(msgs, ", ") + "]"
	}
	return &StatusError{
		Reason:  ReasonInvalid,
		Code:    http.StatusUnprocessableEntity,
		Message: msg,
		Details: &Details{Group: group, Kind: kind, Name: name, Causes: causes},
	}
}

// NewBadRequest says the request is malformed.
func NewBadRequest(format string, args ...any) *StatusError {
	return &StatusError{Reason: ReasonBadRequest, Code: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// NewForbidden says the request is not allowed on the named object, and why.
func NewForbidden(group, resource, name, why string) *StatusError {
	return &StatusError{
		Reason:  ReasonForbidden,
		Code:    http.StatusForbidden,
		Message: fmt.Sprintf("%s %q is forbidden: %s", qualified(group, resource), name, why),
		Details: &Details{Group: group, Kind: resource, Name: name},
	}
}

// NewUnauthorized says the request's credential is missing or not valid (401). Kubernetes'
// message is "Unauthorized"; a non-empty why is appended to say what was wrong.
func NewUnauthorized(why string) *StatusError {
	msg := "Unauthorized"
	if why != "" {
		msg += ": " + why
	}
	return &StatusError{Reason: ReasonUnauthorized, Code: http.StatusUnauthorized, Message: msg}
}

// NewExpired says a resource version or continue token is too old (410); the caller must relist.
func NewExpired(format string, args ...any) *StatusError {
	return &StatusError{Reason: ReasonExpired, Code: http.StatusGone, Message: fmt.Sprintf(format, args...)}
}

// NewMethodNotSupported says the resource does not serve the verb.
func NewMethodNotSupported(group, resource, verb string) *StatusError {
	return &StatusError{
		Reason:  ReasonMethodNotAllowed,
		Code:    http.StatusMethodNotAllowed,
		Message: fmt.Sprintf("%s is not supported on resources of kind %q", verb, qualified(group, resource)),
		Details: &Details{Group: group, Kind: resource},
	}
}

// NewUnsupportedMediaType says the content type is not accepted.
func NewUnsupportedMediaType(contentType string) *StatusError {
	return &StatusError{
		Reason:  ReasonUnsupportedMediaType,
		Code:    http.StatusUnsupportedMediaType,
		Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json; got %q", contentType),
	}
}

// NewRequestEntityTooLarge says the object or request exceeds a size limit.
func NewRequestEntityTooLarge(format string, args ...any) *StatusError {
	return &StatusError{
		Reason:  ReasonRequestEntityTooLarge,
		Code:    http.StatusRequestEntityTooLarge,
		Message: "Request entity too large: " + fmt.Sprintf(format, args...),
	}
}

// NewTimeout says the server gave up waiting for something; retryAfter hints when to try again.
func NewTimeout(message string, retryAfterSeconds int32) *StatusError {
	return &StatusError{
		Reason:  ReasonTimeout,
		Code:    http.StatusGatewayTimeout,
		Message: message,
		Details: &Details{RetryAfterSeconds: retryAfterSeconds},
	}
}

// NewTooManyRequests says the server refuses the request because a limit on what clients hold at
// once is reached; the client should retry after retryAfterSeconds.
func NewTooManyRequests(message string, retryAfterSeconds int32) *StatusError {
	return &StatusError{
		Reason:  ReasonTooManyRequests,
		Code:    http.StatusTooManyRequests,
		Message: message,
		Details: &Details{RetryAfterSeconds: retryAfterSeconds},
	}
}

// NewServiceUnavailable says the server cannot take the request now.
func NewServiceUnavailable(message string) *StatusError {
	return &StatusError{Reason: ReasonServiceUnavailable, Code: http.StatusServiceUnavailable, Message: message}
}

// NewInternal wraps an unexpected server-side failure.
func NewInternal(err error) *StatusError {
	return &StatusError{
		Reason:  ReasonInternalError,
		Code:    http.StatusInternalServerError,
		Message: fmt.Sprintf("Internal error occurred: %v", err),
		Details: &Details{Causes: []Cause{{Type: "UnexpectedServerResponse", Message: err.Error()}}},
	}
}
