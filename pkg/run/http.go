package run

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// HTTPServer serves srv on ln until ctx ends, then shuts it down: it stops accepting, lets
// in-flight requests finish for at most shutdownTimeout, then closes what is left. HTTPServer owns
// ln from the call on and has closed it when it returns. It returns nil after a clean shutdown, the
// serve error if serving failed before ctx ended, and an error if requests were still running at
// the deadline.
func HTTPServer(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration) error {
	addr := ln.Addr().String()
	served := make(chan error, 1) // buffered: read only once below, but never leaks the sender
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve http on %s: %w", addr, err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		// Requests outlived the deadline: cut them off so nothing keeps running after we return.
		_ = srv.Close() // the shutdown error below is the one worth reporting
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http on %s: %w", addr, err)
	}
	if shutdownErr != nil {
		return fmt.Errorf("shut down http server on %s after %s: %w", addr, shutdownTimeout, shutdownErr)
	}
	return nil
}
