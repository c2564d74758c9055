package registry

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

func TestParseTimeoutSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "", want: 0},
		{in: "0", want: 0},
		{in: "30", want: 30},
		{in: "-1", bad: true},
		{in: "1.5", bad: true},
		{in: "soon", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimeoutSeconds(tt.in)
			if tt.bad {
				require.True(t, apierrors.IsBadRequest(err), "%v", err)
				require.EqualError(t, err, `invalid timeoutSeconds "`+tt.in+`": must be a non-negative integer`)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestWatchContext(t *testing.T) {
	t.Run("negative is refused with the REST message", func(t *testing.T) {
		_, _, err := WatchContext(context.Background(), -1)
		_, restErr := ParseTimeoutSeconds("-1")
		require.True(t, apierrors.IsBadRequest(err), "%v", err)
		require.EqualError(t, err, restErr.Error())
	})
	tests := []struct {
		name         string
		seconds      int64
		wantDeadline bool
	}{
		{"zero is unbounded", 0, false},
		{"past a Duration is unbounded", math.MaxInt64, false},
		{"a count bounds it", 30, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ctx, cancel, err := WatchContext(context.Background(), tt.seconds)
			require.NoError(t, err)
			deadline, ok := ctx.Deadline()
			require.Equal(t, tt.wantDeadline, ok)
			if ok {
				require.WithinDuration(t, start.Add(time.Duration(tt.seconds)*time.Second), deadline, 5*time.Second)
			}
			require.NoError(t, ctx.Err())
			cancel()
			require.ErrorIs(t, ctx.Err(), context.Canceled)
		})
	}
}
