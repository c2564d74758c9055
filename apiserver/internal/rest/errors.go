package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// status is meta/v1 Status as Kubernetes encodes it.
type status struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   struct{}       `json:"metadata"`
	Status     string         `json:"status"`
	Message    string         `json:"message,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Details    *statusDetails `json:"details,omitempty"`
	Code       int32          `json:"code"`
}

type statusDetails struct {
	Name              string        `json:"name,omitempty"`
	Group             string        `json:"group,omitempty"`
	Kind              string        `json:"kind,omitempty"`
	UID               string        `json:"uid,omitempty"`
	Causes            []statusCause `json:"causes,omitempty"`
	RetryAfterSeconds int32         `json:"retryAfterSeconds,omitempty"`
}

type statusCause struct {
	Type    string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// statusFor returns err as a Failure Status; errors that are not StatusErrors are internal errors.
func statusFor(err error) *status {
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		se = apierrors.NewInternal(err)
	}
	st := &status{
		APIVersion: "v1",
		Kind:       "Status",
		Status:     "Failure",
		Message:    se.Message,
		Reason:     string(se.Reason),
		Code:       se.Code,
	}
	if d := se.Details; d != nil {
		st.Details = &statusDetails{Name: d.Name, Group: d.Group, Kind: d.Kind, UID: d.UID, RetryAfterSeconds: d.RetryAfterSeconds}
		for _, c := range d.Causes {
			st.Details.Causes = append(st.Details.Causes, statusCause(c))
		}
	}
	return st
}

// successStatus is the Status a delete returns when the object is gone at once and the client asked
// for no object.
func successStatus(group, kind, name, uid string) *status {
	return &status{
		APIVersion: "v1",
		Kind:       "Status",
		Status:     "Success",
		Details:    &statusDetails{Name: name, Group: group, Kind: kind, UID: uid},
		Code:       http.StatusOK,
	}
}

// WriteError writes err as Kubernetes' Status body with its HTTP code, as every REST answer does;
// the filters in front of the handler (authentication, authorization) answer with it too.
func WriteError(w http.ResponseWriter, err error) { writeError(w, err) }

// writeError writes err as a Status body with its HTTP code, and a Retry-After header when the
// error says when to retry, as Kubernetes does.
func writeError(w http.ResponseWriter, err error) {
	st := statusFor(err)
	if st.Details != nil && st.Details.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(st.Details.RetryAfterSeconds)))
	}
	writeJSON(w, int(st.Code), st)
}

// writeJSON writes v as a JSON body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(statusFor(apierrors.NewInternal(err)))
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// errNoFlush means the response writer cannot stream, which only a broken middleware causes.
var errNoFlush = errors.New("the response writer cannot flush; watch needs a streaming connection")
