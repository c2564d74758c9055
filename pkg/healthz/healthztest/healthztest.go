// Package healthztest starts a Keelson component in a test and probes the endpoints package
// healthz installed on it. It is for tests only.
package healthztest

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Timeout bounds every wait in this package: listening, answering, and returning after stop.
const Timeout = 10 * time.Second

// Server is a component that serves HTTP until its context ends and reports where it listens.
type Server interface {
	Run(ctx context.Context) error
	// Addr returns the listening address, or nil until the server listens.
	Addr() net.Addr
}

// Start runs srv.Run in the background and waits until srv listens, failing the test if it does
// not within Timeout or if Run returns first. It returns the server's base URL ("http://host:port")
// and stop, which cancels Run's context and returns Run's error, failing the test if Run does not
// return within Timeout. stop may be called more than once; the test's cleanup calls it too.
func Start(tb testing.TB, srv Server) (baseURL string, stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	var (
		once   sync.Once
		runErr error
	)
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(Timeout):
				tb.Errorf("Run did not return within %s of cancellation", Timeout)
			}
		})
		return runErr
	}
	tb.Cleanup(func() { _ = stop() })

	deadline := time.Now().Add(Timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if addr := srv.Addr(); addr != nil {
			return "http://" + addr.String(), stop
		}
		select {
		case err := <-done:
			cancel()
			tb.Fatalf("Run returned before listening: %v", err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("server did not listen within %s", Timeout)
		}
	}
}

// Get sends GET url and returns the status code and body, failing the test on a transport error.
func Get(tb testing.TB, url string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		tb.Fatalf("build request for %s: %v", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
	body, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("read body of GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// RequireHealthy checks that /healthz, /livez and /readyz under baseURL answer 200 "ok".
func RequireHealthy(tb testing.TB, baseURL string) {
	tb.Helper()
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		code, body := Get(tb, baseURL+path)
		if code != http.StatusOK || body != "ok" {
			tb.Fatalf("GET %s%s: %d %q, want 200 \"ok\"", baseURL, path, code, body)
		}
	}
}

// UnusedEndpoint returns a loopback host:port nothing listens on, for a component started
// without an API server: it serves its endpoints while its client retries.
func UnusedEndpoint(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find an unused port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatalf("free port %s: %v", addr, err)
	}
	return addr
}
