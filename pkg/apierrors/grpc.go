package apierrors

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Domain is the ErrorInfo domain of Keelson's gRPC errors.
const Domain = "keelson.dev"

// grpcCode maps a reason to the gRPC code that carries it.
func grpcCode(r Reason) codes.Code {
	switch r {
	case ReasonNotFound:
		return codes.NotFound
	case ReasonAlreadyExists:
		return codes.AlreadyExists
	case ReasonConflict:
		return codes.Aborted
	case ReasonInvalid, ReasonBadRequest, ReasonUnsupportedMediaType, ReasonNotAcceptable:
		return codes.InvalidArgument
	case ReasonForbidden:
		return codes.PermissionDenied
	case ReasonUnauthorized:
		return codes.Unauthenticated
	case ReasonGone, ReasonExpired:
		return codes.OutOfRange
	case ReasonMethodNotAllowed:
		return codes.Unimplemented
	case ReasonRequestEntityTooLarge, ReasonTooManyRequests:
		return codes.ResourceExhausted
	case ReasonTimeout, ReasonServerTimeout:
		return codes.DeadlineExceeded
	case ReasonServiceUnavailable:
		return codes.Unavailable
	default:
		return codes.Internal
	}
}

// ToGRPC converts err to a gRPC status error: the code that matches its reason, an ErrorInfo with the
// reason and details, a RetryInfo when the error says when to retry, and a BadRequest listing
// every bad field. Context errors become Canceled and
// DeadlineExceeded; any other error becomes Internal.
func ToGRPC(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	var se *StatusError
	if !errors.As(err, &se) {
		se = NewInternal(err)
	}
	st := status.New(grpcCode(se.Reason), se.Message)
	info := &errdetails.ErrorInfo{
		Reason:   string(se.Reason),
		Domain:   Domain,
		Metadata: map[string]string{"code": strconv.Itoa(int(se.Code))},
	}
	details := []protoadapt.MessageV1{info}
	if d := se.Details; d != nil {
		setNonEmpty(info.Metadata, "group", d.Group)
		setNonEmpty(info.Metadata, "kind", d.Kind)
		setNonEmpty(info.Metadata, "name", d.Name)
		setNonEmpty(info.Metadata, "uid", d.UID)
		if d.RetryAfterSeconds > 0 {
			info.Metadata["retryAfterSeconds"] = strconv.Itoa(int(d.RetryAfterSeconds))
			// RetryInfo is the standard detail gRPC clients read a back-off hint from.
			details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(d.RetryAfterSeconds) * time.Second)})
		}
		if len(d.Causes) > 0 {
			br := &errdetails.BadRequest{}
			for _, c := range d.Causes {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: c.Field, Description: c.Message, Reason: c.Type,
				})
			}
			details = append(details, br)
		}
	}
	withInfo, derr := st.WithDetails(details...)
	if derr != nil {
		return st.Err()
	}
	return withInfo.Err()
}

func setNonEmpty(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// FromGRPC converts a gRPC error back to a StatusError. An error without Keelson's ErrorInfo (a
// transport failure, say) gets the reason that matches its code. Errors that are not gRPC statuses
// are returned unchanged.
func FromGRPC(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	se := &StatusError{Message: st.Message()}
	var info *errdetails.ErrorInfo
	var causes []Cause
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == Domain {
				info = d
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				causes = append(causes, Cause{Type: v.GetReason(), Message: v.GetDescription(), Field: v.GetField()})
			}
		}
	}
	if info == nil {
		se.Reason, se.Code = reasonForCode(st.Code())
		return &wrapped{StatusError: se, cause: err}
	}
	se.Reason = Reason(info.GetReason())
	code, _ := strconv.Atoi(info.GetMetadata()["code"])
	se.Code = int32(code)
	md := info.GetMetadata()
	retry, _ := strconv.Atoi(md["retryAfterSeconds"])
	if md["group"] != "" || md["kind"] != "" || md["name"] != "" || len(causes) > 0 || retry > 0 {
		se.Details = &Details{
			Group: md["group"], Kind: md["kind"], Name: md["name"], UID: md["uid"],
			Causes: causes, RetryAfterSeconds: int32(retry),
		}
	}
	return se
}

// wrapped keeps the original gRPC error reachable for errors.Is and status.FromError.
type wrapped struct {
	*StatusError
	cause error
}

func (w *wrapped) Unwrap() []error { return []error{w.StatusError, w.cause} }

// GRPCStatus lets status.FromError see the transport status through the wrapper.
func (w *wrapped) GRPCStatus() *status.Status {
	st, _ := status.FromError(w.cause)
	return st
}

func reasonForCode(c codes.Code) (Reason, int32) {
	switch c {
	case codes.NotFound:
		return ReasonNotFound, http.StatusNotFound
	case codes.AlreadyExists:
		return ReasonAlreadyExists, http.StatusConflict
	case codes.Aborted:
		return ReasonConflict, http.StatusConflict
	case codes.InvalidArgument:
		return ReasonBadRequest, http.StatusBadRequest
	case codes.PermissionDenied:
		return ReasonForbidden, http.StatusForbidden
	case codes.Unauthenticated:
		return ReasonUnauthorized, http.StatusUnauthorized
	case codes.OutOfRange:
		return ReasonExpired, http.StatusGone
	case codes.Unimplemented:
		return ReasonMethodNotAllowed, http.StatusMethodNotAllowed
	case codes.ResourceExhausted:
		return ReasonTooManyRequests, http.StatusTooManyRequests
	case codes.DeadlineExceeded:
		return ReasonTimeout, http.StatusGatewayTimeout
	case codes.Unavailable:
		return ReasonServiceUnavailable, http.StatusServiceUnavailable
	default:
		return ReasonInternalError, http.StatusInternalServerError
	}
}
