package run

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignalContext(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{name: "SIGINT", sig: syscall.SIGINT},
		{name: "SIGTERM", sig: syscall.SIGTERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, stop := SignalContext(t.Context())
			defer stop()
			require.NoError(t, ctx.Err())
			// The registration is in place once SignalContext returns, so this cannot kill the test.
			require.NoError(t, syscall.Kill(syscall.Getpid(), tt.sig))
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("context not canceled by %s", tt.name)
			}
			require.ErrorIs(t, ctx.Err(), context.Canceled)
		})
	}
}

func TestSignalContextFollowsParent(t *testing.T) {
	parent, cancel := context.WithCancel(t.Context())
	ctx, stop := SignalContext(parent)
	defer stop()
	cancel()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not canceled with its parent")
	}
}
