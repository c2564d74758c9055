package limits_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// requireTooMany checks that err is the 429 a refused request gets, with Kubernetes' Retry-After.
func requireTooMany(t *testing.T, err error, message string) {
	t.Helper()
	require.Equal(t, int32(http.StatusTooManyRequests), apierrors.CodeFor(err), "got %v", err)
	require.Equal(t, apierrors.ReasonTooManyRequests, apierrors.ReasonFor(err))
	var se *apierrors.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, int32(1), se.Details.RetryAfterSeconds)
	require.Contains(t, err.Error(), message)
}

func TestInflight(t *testing.T) {
	for _, tc := range []struct {
		name    string
		class   limits.Class
		message string
	}{
		{"read-only", limits.ReadOnly, "the limit of 2 read-only requests in flight"},
		{"mutating", limits.Mutating, "the limit of 2 mutating requests in flight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := limits.New(limits.Config{MaxRequestsInflight: 2, MaxMutatingRequestsInflight: 2})
			require.NoError(t, l.Admit(tc.class))
			require.NoError(t, l.Admit(tc.class))
			requireTooMany(t, l.Admit(tc.class), tc.message)
			other := limits.Mutating
			if tc.class == limits.Mutating {
				other = limits.ReadOnly
			}
			require.NoError(t, l.Admit(other), "the other class has slots of its own")
			for range 10 {
				require.NoError(t, l.Admit(limits.LongRunning), "long-running requests are not counted")
				require.NoError(t, l.Admit(limits.Watch), "watches are not counted in flight")
			}
			l.Done(tc.class)
			require.NoError(t, l.Admit(tc.class), "a finished request frees its slot")
		})
	}
	t.Run("zero is unbounded", func(t *testing.T) {
		l := limits.New(limits.Config{})
		for range 1000 {
			require.NoError(t, l.Admit(limits.Mutating))
		}
	})
	t.Run("nil admits everything", func(t *testing.T) {
		var l *limits.Limiter
		require.NoError(t, l.Admit(limits.Mutating))
		l.Done(limits.Mutating)
		require.NoError(t, l.AdmitWatch("a"))
		l.WatchDone("a")
	})
}

func TestWatchesPerClient(t *testing.T) {
	l := limits.New(limits.Config{MaxWatchesPerClient: 3})
	for range 3 {
		require.NoError(t, l.AdmitWatch("127.0.0.11"))
	}
	requireTooMany(t, l.AdmitWatch("127.0.0.11"), "client 127.0.0.11 holds 3")
	require.NoError(t, l.AdmitWatch("127.0.0.12"), "each client has a bound of its own")
	l.WatchDone("127.0.0.11")
	require.NoError(t, l.AdmitWatch("127.0.0.11"), "a finished watch frees its place")
	requireTooMany(t, l.AdmitWatch("127.0.0.11"), "holds 3")

	t.Run("many clients come and go", func(t *testing.T) {
		l := limits.New(limits.Config{MaxWatchesPerClient: 1})
		for i := range 100 {
			c := fmt.Sprint("client-", i)
			require.NoError(t, l.AdmitWatch(c))
			l.WatchDone(c)
			require.NoError(t, l.AdmitWatch(c), "nothing left of the closed watch")
			l.WatchDone(c)
		}
	})
}
