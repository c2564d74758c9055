package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// within fails the test unless ch delivers before the deadline.
func within(t *testing.T, ch <-chan time.Time) time.Time {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("real clock did not fire within 10s")
		return time.Time{}
	}
}

func TestRealClock(t *testing.T) {
	var c Clock = RealClock{}
	start := c.Now()
	require.GreaterOrEqual(t, c.Since(start), time.Duration(0))
	require.Greater(t, c.Until(start.Add(time.Hour)), 59*time.Minute)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"after", func(t *testing.T) {
			t.Helper()
			require.False(t, within(t, c.After(time.Millisecond)).Before(start))
		}},
		{"timer", func(t *testing.T) {
			t.Helper()
			tm := c.NewTimer(time.Millisecond)
			within(t, tm.C())
			require.False(t, tm.Stop())
			require.False(t, tm.Reset(time.Millisecond))
			within(t, tm.C())
		}},
		{"stopped timer", func(t *testing.T) {
			t.Helper()
			tm := c.NewTimer(time.Hour)
			require.True(t, tm.Stop())
		}},
		{"ticker", func(t *testing.T) {
			t.Helper()
			tk := c.NewTicker(time.Millisecond)
			defer tk.Stop()
			first := within(t, tk.C())
			require.True(t, within(t, tk.C()).After(first))
			tk.Reset(2 * time.Millisecond)
			within(t, tk.C())
		}},
		{"after func", func(t *testing.T) {
			t.Helper()
			done := make(chan time.Time, 1)
			tm := c.AfterFunc(time.Millisecond, func() { done <- time.Now() })
			within(t, done)
			require.Nil(t, tm.C())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
