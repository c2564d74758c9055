package run

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// SignalContext returns a context that is canceled on the first SIGINT or SIGTERM, or when parent
// ends. Once it is canceled the signals are handed back to the default behaviour, so a second
// Ctrl-C kills a process whose shutdown hangs. The caller must call stop to release the signal
// registration.
func SignalContext(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}
