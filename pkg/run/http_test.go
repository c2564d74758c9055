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

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func serve(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() { done <- HTTPServer(ctx, srv, ln, timeout) }()
	return done
}

func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("HTTPServer did not return")
		return nil
	}
}

func TestHTTPServerServesUntilCancelled(t *testing.T) {
	ln := listen(t)
	addr := ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hi") })
	ctx, cancel := context.WithCancel(t.Context())
	done := serve(ctx, &http.Server{Handler: mux, ReadHeaderTimeout: time.Second}, ln, 5*time.Second)

	resp, err := http.Get("http://" + addr + "/hello")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, "hi", string(body))

	cancel()
	require.NoError(t, waitErr(t, done))
	_, err = net.Dial("tcp", addr)
	require.Error(t, err, "listener must be closed after HTTPServer returns")
}

func TestHTTPServerShutdownDeadline(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		// finishInTime releases the handler right after shutdown starts instead of after the deadline.
		finishInTime bool
		wantErr      string
	}{
		{name: "in-flight request drains", timeout: 10 * time.Second, finishInTime: true},
		{name: "request outliving the deadline is cut off", timeout: 50 * time.Millisecond, wantErr: "shut down http server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			started := make(chan struct{})
			release := make(chan struct{})
			handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				close(started)
				<-release
				_, _ = io.WriteString(w, "done")
			})
			ctx, cancel := context.WithCancel(t.Context())
			done := serve(ctx, &http.Server{Handler: handler, ReadHeaderTimeout: time.Second}, ln, tt.timeout)

			type result struct {
				body string
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String())
				if err != nil {
					got <- result{err: err}
					return
				}
				b, err := io.ReadAll(resp.Body)
				if cerr := resp.Body.Close(); err == nil {
					err = cerr
				}
				got <- result{body: string(b), err: err}
			}()
			<-started
			cancel()
			if tt.finishInTime {
				close(release)
				require.NoError(t, waitErr(t, done))
				r := <-got
				require.NoError(t, r.err)
				require.Equal(t, "done", r.body)
				return
			}
			err := waitErr(t, done)
			close(release)
			require.ErrorContains(t, err, tt.wantErr)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.Error(t, (<-got).err, "the cut-off request must fail")
		})
	}
}

func TestHTTPServerReportsServeFailure(t *testing.T) {
	ln := listen(t)
	require.NoError(t, ln.Close())
	err := waitErr(t, serve(t.Context(), &http.Server{ReadHeaderTimeout: time.Second}, ln, time.Second))
	require.ErrorContains(t, err, "serve http on "+ln.Addr().String())
}
