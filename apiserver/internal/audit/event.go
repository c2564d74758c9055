package audit

import (
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"

	"time"
)

// Stages of a request an event is recorded at, as Kubernetes names them.
const (
	// StageResponseStarted is recorded for a long-running request (a watch) once its response has
	// begun.
	StageResponseStarted = "ResponseStarted"
	// StageResponseComplete is recorded once the response has been sent.
	StageResponseComplete = "ResponseComplete"
)

// Event is Kubernetes' audit.k8s.io/v1 Event at the Metadata level.
type Event struct {
	Kind                     string          `json:"kind"`
	APIVersion               string          `json:"apiVersion"`
	Level                    string          `json:"level"`
	AuditID                  string          `json:"auditID"`
	Stage                    string          `json:"stage"`
	RequestURI               string          `json:"requestURI"`
	Verb                     string          `json:"verb"`
	User                     UserInfo        `json:"user"`
	SourceIPs                []string        `json:"sourceIPs,omitempty"`
	UserAgent                string          `json:"userAgent,omitempty"`
	ObjectRef                *ObjectRef      `json:"objectRef,omitempty"`
	ResponseStatus           *ResponseStatus `json:"responseStatus,omitempty"`
	RequestReceivedTimestamp MicroTime       `json:"requestReceivedTimestamp"`
	StageTimestamp           MicroTime       `json:"stageTimestamp"`

	// rec learns the user once authentication, which runs inside the audit, has named it.
	rec *user.Recorder
}

// UserInfo is the authenticated user, as Kubernetes' authentication/v1 UserInfo.
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// ObjectRef names the object a resource request is about.
type ObjectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// ResponseStatus is the part of the response's metav1.Status the Metadata level keeps.
type ResponseStatus struct {
	Metadata struct{} `json:"metadata"`
	// Status is "Failure" for a code of 400 and above, empty otherwise, as Kubernetes fills it.
	Status string `json:"status,omitempty"`
	// Message is the error's, when the server knows it (gRPC calls).
	Message string `json:"message,omitempty"`
	Code    int32  `json:"code"`
}

func newResponseStatus(code int32, message string) *ResponseStatus {
	rs := &ResponseStatus{Code: code}
	if code >= 400 {
		rs.Status, rs.Message = "Failure", message
	}
	return rs
}

// MicroTime is a time written as Kubernetes writes metav1.MicroTime: RFC 3339 in UTC with
// microseconds.
type MicroTime time.Time

// MarshalJSON writes t as "2006-01-02T15:04:05.000000Z".
func (t MicroTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000000Z07:00") + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if len(b) < 2 {
		return &time.ParseError{Layout: time.RFC3339Nano, Value: string(b)}
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return err
	}
	*t = MicroTime(v)
	return nil
}
