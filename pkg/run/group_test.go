package run

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// untilDone blocks until ctx ends and reports why, as a well-behaved component does.
func untilDone(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestGroup(t *testing.T) {
	errBoom := errors.New("boom")
	errLate := errors.New("late")
	tests := []struct {
		name          string
		cancelParent  bool
		fns           []func(context.Context) error
		wantErr       error
		wantNoContext bool
	}{
		{
			name: "all return nil",
			fns:  []func(context.Context) error{func(context.Context) error { return nil }, func(context.Context) error { return nil }},
		},
		{
			name: "first error cancels the rest and is returned",
			fns: []func(context.Context) error{
				untilDone,
				func(context.Context) error { return errBoom },
				untilDone,
			},
			wantErr: errBoom,
		},
		{
			name: "errors after cancellation do not replace the first",
			fns: []func(context.Context) error{
				func(context.Context) error { return errBoom },
				func(ctx context.Context) error { <-ctx.Done(); return errLate },
			},
			wantErr: errBoom,
		},
		{
			name:         "parent cancellation is a clean stop",
			cancelParent: true,
			fns:          []func(context.Context) error{untilDone, untilDone},
		},
		{
			name: "a context error of a component's own is reported",
			fns: []func(context.Context) error{
				func(context.Context) error { return context.DeadlineExceeded },
				untilDone,
			},
			wantErr: context.DeadlineExceeded,
		},
		{name: "no functions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancelParent {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- Group(ctx, tt.fns...) }()
			select {
			case err := <-done:
				if tt.wantErr == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tt.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Group did not return")
			}
		})
	}
}

func TestGroupWaitsForEveryFunction(t *testing.T) {
	released := make(chan struct{})
	finished := make(chan struct{})
	err := Group(t.Context(),
		func(context.Context) error { return errors.New("stop") },
		func(ctx context.Context) error {
			<-ctx.Done()
			<-released
			close(finished)
			return nil
		},
		func(ctx context.Context) error {
			<-ctx.Done()
			close(released)
			return nil
		},
	)
	require.EqualError(t, err, "stop")
	select {
	case <-finished:
	default:
		t.Fatal("Group returned before every function returned")
	}
}
