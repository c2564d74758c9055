package run

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// readHeaderTimeout bounds how long a client may take to send request headers.
const readHeaderTimeout = 10 * time.Second

// HTTPEndpoint is an HTTP server on one address that listens only once Run is called, and tells
// where it listens so that a test can ask for port 0.
type HTTPEndpoint struct {
	address         string
	handler         http.Handler
	shutdownTimeout time.Duration
	listening       atomic.Pointer[net.Addr]
	// up is closed once Run listens.
	up chan struct{}
}

// NewHTTPEndpoint returns an endpoint that will serve handler on address ("host:port"), shutting
// down within shutdownTimeout. It opens nothing yet.
func NewHTTPEndpoint(address string, handler http.Handler, shutdownTimeout time.Duration) *HTTPEndpoint {
	return &HTTPEndpoint{address: address, handler: handler, shutdownTimeout: shutdownTimeout, up: make(chan struct{})}
}

// Run listens on the address and serves until ctx ends, then shuts down as HTTPServer does. It
// must be called at most once.
func (e *HTTPEndpoint) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.address, err)
	}
	addr := ln.Addr()
	e.listening.Store(&addr)
	close(e.up)
	srv := &http.Server{Handler: e.handler, ReadHeaderTimeout: readHeaderTimeout}
	return HTTPServer(ctx, srv, ln, e.shutdownTimeout)
}

// Listening is closed once Run listens: the endpoint accepts connections from then on.
func (e *HTTPEndpoint) Listening() <-chan struct{} { return e.up }

// Addr returns the address Run listens on, or nil before it listens. It keeps returning that
// address after Run returns.
func (e *HTTPEndpoint) Addr() net.Addr {
	if a := e.listening.Load(); a != nil {
		return *a
	}
	return nil
}
