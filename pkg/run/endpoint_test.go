package run

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHTTPEndpoint(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong") })
	e := NewHTTPEndpoint("127.0.0.1:0", h, time.Second)
	require.Nil(t, e.Addr(), "nothing listens before Run")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()

	require.Eventually(t, func() bool { return e.Addr() != nil }, 10*time.Second, time.Millisecond, "endpoint did not listen")
	resp, err := http.Get("http://" + e.Addr().String())
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, "pong", string(body))

	cancel()
	require.NoError(t, waitErr(t, done))
	require.NotNil(t, e.Addr())
}

func TestHTTPEndpointListenFailure(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, taken.Close()) })
	e := NewHTTPEndpoint(taken.Addr().String(), http.NotFoundHandler(), time.Second)
	err = e.Run(t.Context())
	require.ErrorContains(t, err, "listen on "+taken.Addr().String())
	require.Nil(t, e.Addr())
}
