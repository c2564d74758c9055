package limits_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

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

var ctx = context.Background()

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
			require.NoError(t, l.Admit(ctx, tc.class))
			require.NoError(t, l.Admit(ctx, tc.class))
			requireTooMany(t, l.Admit(ctx, tc.class), tc.message)
			other := limits.Mutating
			if tc.class == limits.Mutating {
				other = limits.ReadOnly
			}
			require.NoError(t, l.Admit(ctx, other), "the other class has slots of its own")
			for range 10 {
				require.NoError(t, l.Admit(ctx, limits.LongRunning), "long-running requests are not counted")
				require.NoError(t, l.Admit(ctx, limits.Watch), "watches are not counted in flight")
			}
			l.Done(tc.class)
			require.NoError(t, l.Admit(ctx, tc.class), "a finished request frees its slot")
		})
	}
	t.Run("zero is unbounded", func(t *testing.T) {
		l := limits.New(limits.Config{})
		for range 1000 {
			require.NoError(t, l.Admit(ctx, limits.Mutating))
		}
	})
	t.Run("nil admits everything", func(t *testing.T) {
		var l *limits.Limiter
		require.NoError(t, l.Admit(ctx, limits.Mutating))
		l.Done(limits.Mutating)
		require.NoError(t, l.AdmitWatch("a"))
		l.WatchDone("a")
	})
}

// A request over the bound waits for a slot, up to QueueWait, behind at most as many others as the
// bound; it gets the slot a finished request frees, and a 429 when none frees in time, when the
// queue is full, or when its own context ends.
func TestInflightQueue(t *testing.T) {
	l := limits.New(limits.Config{MaxMutatingRequestsInflight: 1, QueueWait: time.Minute})
	require.NoError(t, l.Admit(ctx, limits.Mutating))

	admitted := make(chan error, 1)
	go func() { admitted <- l.Admit(ctx, limits.Mutating) }()
	// The queue holds one waiter: once it waits, the next request is refused at once.
	require.Eventually(t, func() bool { return l.Queued(limits.Mutating) == 1 }, 10*time.Second, time.Millisecond)
	requireTooMany(t, l.Admit(ctx, limits.Mutating), "the limit of 1 mutating requests in flight")
	select {
	case err := <-admitted:
		t.Fatalf("the waiter was answered (%v) before a slot freed", err)
	default:
	}
	l.Done(limits.Mutating)
	require.NoError(t, <-admitted, "the waiter gets the freed slot")
	require.Zero(t, l.Queued(limits.Mutating))

	cctx, cancel := context.WithCancel(ctx)
	go func() { admitted <- l.Admit(cctx, limits.Mutating) }()
	cancel()
	requireTooMany(t, <-admitted, "the limit of 1 mutating requests in flight")

	short := limits.New(limits.Config{MaxMutatingRequestsInflight: 1, QueueWait: 20 * time.Millisecond})
	require.NoError(t, short.Admit(ctx, limits.Mutating))
	start := time.Now()
	requireTooMany(t, short.Admit(ctx, limits.Mutating), "in flight is reached")
	require.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond, "refused after waiting QueueWait")
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
