package leaderelection

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// TestLeadAndLeadTermsAfterALostLeadership makes the lock unreachable for longer than the renew
// deadline, then reachable again: Lead ends with ErrLeadershipLost, so that a supervisor restarts
// the daemon; LeadTerms ends the term, campaigns again and runs fn for a second term by itself.
func TestLeadAndLeadTermsAfterALostLeadership(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lead  func(Config, func(context.Context) error) func(context.Context) error
		again bool
	}{
		{"Lead", Lead, false},
		{"LeadTerms", LeadTerms, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(epoch)
			s := &store{}
			terms := make(chan context.Context, 2)
			run := tc.lead(Config{
				Lock: &fakeLock{s: s}, Identity: "a",
				LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
				Clock: clk, Logger: zaptest.NewLogger(t),
			}, func(ctx context.Context) error {
				terms <- ctx
				<-ctx.Done()
				return nil
			})
			ctx, cancel := context.WithCancel(context.Background())
			// c drives the fake clock as the candidates of the elector's tests do; its done
			// closes when run returns, with run's error in c.err.
			c := &candidate{clk: clk, done: make(chan struct{})}
			go func() {
				defer close(c.done)
				c.err = run(ctx)
			}()
			t.Cleanup(func() {
				cancel()
				<-c.done
			})
			first := receive(t, terms, "the first term")

			s.fail(true)
			for first.Err() == nil {
				c.tick(t)
			}
			s.fail(false)
			if !tc.again {
				require.ErrorIs(t, c.result(t), ErrLeadershipLost)
				return
			}
			for len(terms) == 0 {
				c.tick(t)
			}
			second := receive(t, terms, "the second term")
			require.NoError(t, second.Err(), "leading again")
			rec, _ := s.get()
			require.Equal(t, "a", rec.HolderIdentity)
		})
	}
}

// receive returns the next value of ch, failing the test after 10 seconds.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}
