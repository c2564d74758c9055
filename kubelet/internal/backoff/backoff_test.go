package backoff

import (
	"testing"
	"time"
)

func TestExponential(t *testing.T) {
	b := Exponential{Initial: 200 * time.Millisecond, Max: 7 * time.Second}
	want := []time.Duration{200, 400, 800, 1600, 3200, 6400, 7000, 7000}
	for i, w := range want {
		if got := b.Next(); got != w*time.Millisecond {
			t.Fatalf("pause %d = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 200*time.Millisecond {
		t.Fatalf("after Reset: %v, want 200ms", got)
	}
}
