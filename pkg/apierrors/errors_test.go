package apierrors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestGRPCRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		err  *StatusError
		code codes.Code
		is   func(error) bool
	}{
		{"not found", NewNotFound("", "pods", "web"), codes.NotFound, IsNotFound},
		{"already exists", NewAlreadyExists("apps", "deployments", "web"), codes.AlreadyExists, IsAlreadyExists},
		{"conflict", NewConflict("", "pods", "web", ModifiedMessage), codes.Aborted, IsConflict},
		{"invalid", NewInvalid("", "Pod", "web", []Cause{
			{Type: "FieldValueRequired", Message: "Required value", Field: "spec.containers[0].image"},
			{Type: "FieldValueInvalid", Message: "Invalid value: \"A\"", Field: "metadata.name"},
		}), codes.InvalidArgument, IsInvalid},
		{"expired", NewExpired("too old resource version: 1 (5)"), codes.OutOfRange, IsGone},
		{"too large", NewRequestEntityTooLarge("limit is %d", 10), codes.ResourceExhausted, IsTooLarge},
		{"bad request", NewBadRequest("no %s", "kind"), codes.InvalidArgument, IsBadRequest},
		{"internal", NewInternal(errors.New("boom")), codes.Internal, func(err error) bool { return ReasonFor(err) == ReasonInternalError }},
		{"too many requests", NewTooManyRequests("too many requests in flight", 1), codes.ResourceExhausted,
			func(err error) bool { return ReasonFor(err) == ReasonTooManyRequests }},
		{"timeout", NewTimeout("Too large resource version", 1), codes.DeadlineExceeded, IsTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gerr := ToGRPC(tc.err)
			st, ok := status.FromError(gerr)
			require.True(t, ok)
			require.Equal(t, tc.code, st.Code())
			require.Equal(t, tc.err.Message, st.Message())

			back := FromGRPC(gerr)
			require.True(t, tc.is(back), "reason lost: %v", back)
			var se *StatusError
			require.ErrorAs(t, back, &se)
			require.Equal(t, tc.err.Code, se.Code)
			require.Equal(t, tc.err.Details, se.Details)
		})
	}
}

// TestRetryAfterIsARetryInfo checks that an error saying when to retry carries gRPC's standard
// RetryInfo detail, so any gRPC client backs off as a REST client reads Retry-After.
func TestRetryAfterIsARetryInfo(t *testing.T) {
	st, ok := status.FromError(ToGRPC(NewTooManyRequests("too many requests in flight", 2)))
	require.True(t, ok)
	var delays []time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delays = append(delays, ri.GetRetryDelay().AsDuration())
		}
	}
	require.Equal(t, []time.Duration{2 * time.Second}, delays)

	st, ok = status.FromError(ToGRPC(NewNotFound("", "pods", "web")))
	require.True(t, ok)
	for _, d := range st.Details() {
		_, isRetry := d.(*errdetails.RetryInfo)
		require.False(t, isRetry, "no RetryInfo without a retry hint")
	}
}

func TestInvalidMessageNamesEveryField(t *testing.T) {
	err := NewInvalid("", "Pod", "web", []Cause{
		{Message: "Required value", Field: "spec.containers"},
		{Message: "Invalid value: \"Sometimes\"", Field: "spec.restartPolicy"},
	})
	require.Equal(t, `Pod "web" is invalid: [spec.containers: Required value, spec.restartPolicy: Invalid value: "Sometimes"]`, err.Error())
}

func TestFromGRPCWithoutInfoMapsCode(t *testing.T) {
	err := FromGRPC(status.Error(codes.Unavailable, "connection refused"))
	require.True(t, IsServiceUnavailable(err))
	st, ok := status.FromError(err)
	require.True(t, ok, "the transport status stays visible")
	require.Equal(t, codes.Unavailable, st.Code())
}

func TestWrappedStatusErrorKeepsReason(t *testing.T) {
	err := fmt.Errorf("bind pod default/web: %w", NewConflict("", "pods", "web", "pod is already assigned"))
	require.True(t, IsConflict(err))
	require.Equal(t, codes.Aborted, status.Code(ToGRPC(err)))
}

func TestNewUnauthorized(t *testing.T) {
	for why, want := range map[string]string{"": "Unauthorized", "the token has expired": "Unauthorized: the token has expired"} {
		err := NewUnauthorized(why)
		if err.Message != want || err.Code != 401 || err.Reason != ReasonUnauthorized {
			t.Errorf("NewUnauthorized(%q) = %+v, want message %q, code 401, reason Unauthorized", why, err, want)
		}
	}
}
