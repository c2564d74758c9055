package healthztest

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/run"
)

// server is the smallest Server: health endpoints on a loopback port.
type server struct {
	addr atomic.Pointer[net.Addr]
}

func (s *server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

func (s *server) Run(ctx context.Context) error {
	mux := http.NewServeMux()
	if err := healthz.Install(mux, healthz.Config{Live: []healthz.Check{healthz.Ping()}}); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	a := ln.Addr()
	s.addr.Store(&a)
	return run.HTTPServer(ctx, &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}, ln, time.Second)
}

func TestStartGetStop(t *testing.T) {
	srv := &server{}
	base, stop := Start(t, srv)
	code, body := Get(t, base+"/livez")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok", body)

	require.NoError(t, stop())
	require.NoError(t, stop(), "stop is idempotent")
	_, err := net.Dial("tcp", srv.Addr().String())
	require.Error(t, err, "the server must have stopped listening")
}
