package rest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/limits"
)

// limitEnv serves a handler behind Handler.limit: it holds a request with ?hold until release
// is closed, reads and echoes a body's length, and reports whether a request had a deadline.
type limitEnv struct {
	url     string
	release chan struct{}
	held    chan struct{}
}

func startLimitEnv(t *testing.T, lim Limits) *limitEnv {
	t.Helper()
	e := &limitEnv{release: make(chan struct{}), held: make(chan struct{}, 16)}
	h := &Handler{limits: lim.withDefaults()}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("hold") {
			e.held <- struct{}{}
			<-e.release
		}
		body, err := readBody(r)
		if err != nil {
			writeError(w, err)
			return
		}
		_, hasDeadline := r.Context().Deadline()
		_, _ = fmt.Fprintf(w, "%d %t", len(body), hasDeadline)
	})
	srv := httptest.NewServer(h.limit(next))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(e.release) })
	e.url = srv.URL
	return e
}

// hold starts a request that the handler holds until the test ends, and waits until it is held.
func (e *limitEnv) hold(t *testing.T, method, path string) {
	t.Helper()
	go func() {
		req, err := http.NewRequest(method, e.url+path, nil)
		if err != nil {
			return
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
		}
	}()
	select {
	case <-e.held:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s %s was not held", method, path)
	}
}

// do sends a request and returns its status code, Retry-After header and body.
func (e *limitEnv) do(t *testing.T, method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

func requireTooManyRequests(t *testing.T, code int, retryAfter, body, message string) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, code, body)
	require.Equal(t, "1", retryAfter)
	var st status
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Equal(t, "Status", st.Kind)
	require.Equal(t, "TooManyRequests", st.Reason)
	require.Equal(t, int32(1), st.Details.RetryAfterSeconds)
	require.Contains(t, st.Message, message)
}

func TestLimitInflight(t *testing.T) {
	const pods = "/api/v1/namespaces/default/pods"
	e := startLimitEnv(t, Limits{Inflight: limits.New(limits.Config{MaxRequestsInflight: 1, MaxMutatingRequestsInflight: 1})})
	e.hold(t, http.MethodGet, pods+"?hold")
	code, retry, body := e.do(t, http.MethodGet, pods+"/p", "")
	requireTooManyRequests(t, code, retry, body, "the limit of 1 read-only requests in flight")

	code, _, body = e.do(t, http.MethodGet, pods+"?watch=true", "")
	require.Equal(t, http.StatusOK, code, "a watch is not counted in flight: %s", body)
	code, _, body = e.do(t, http.MethodGet, pods+"/p/log?follow=true", "")
	require.Equal(t, http.StatusOK, code, "a log is not counted in flight: %s", body)

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		code, _, body = e.do(t, method, pods+"/p", "{}")
		require.Equal(t, http.StatusOK, code, "%s has slots of its own: %s", method, body)
	}
	e.hold(t, http.MethodPatch, pods+"/p?hold")
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		code, retry, body = e.do(t, method, pods+"/p/status", "{}")
		requireTooManyRequests(t, code, retry, body, "the limit of 1 mutating requests in flight")
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		want        limits.Class
	}{
		{http.MethodGet, "/api/v1/namespaces/ns/pods/p/log", limits.LongRunning},
		{http.MethodGet, "/api/v1/namespaces/ns/pods/p/log?follow=true", limits.LongRunning},
		{http.MethodGet, "/api/v1/namespaces/ns/pods/log", limits.ReadOnly},
		{http.MethodGet, "/api/v1/namespaces/ns/configmaps/log", limits.ReadOnly},
		{http.MethodGet, "/api/v1/namespaces/ns/configmaps/c/log", limits.ReadOnly},
		{http.MethodGet, "/api/v1/pods?watch=true", limits.Watch},
		{http.MethodGet, "/api/v1/pods?watch=1&labelSelector=a", limits.Watch},
		{http.MethodGet, "/api/v1/pods?watch=false", limits.ReadOnly},
		{http.MethodGet, "/api/v1/pods?watch=bogus", limits.ReadOnly},
		{http.MethodGet, "/api/v1/pods?labelSelector=watch", limits.ReadOnly},
		{http.MethodGet, "/apis", limits.ReadOnly},
		{http.MethodHead, "/api/v1/pods", limits.ReadOnly},
		{http.MethodPost, "/api/v1/namespaces/ns/pods/p/eviction", limits.Mutating},
		{http.MethodPost, "/api/v1/pods?watch=true", limits.Mutating},
		{http.MethodPut, "/apis/apps/v1/namespaces/ns/deployments/d/scale", limits.Mutating},
		{http.MethodPatch, "/api/v1/namespaces/ns/pods/p/status", limits.Mutating},
		{http.MethodDelete, "/api/v1/namespaces/ns/pods", limits.Mutating},
	} {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, nil)
			require.Equal(t, tc.want, classify(r))
		})
	}
}

func TestLimitWatchesPerClient(t *testing.T) {
	const pods = "/api/v1/pods?watch=1"
	e := startLimitEnv(t, Limits{Inflight: limits.New(limits.Config{MaxWatchesPerClient: 2})})
	e.hold(t, http.MethodGet, pods+"&hold")
	e.hold(t, http.MethodGet, pods+"&hold")
	code, retry, body := e.do(t, http.MethodGet, pods, "")
	requireTooManyRequests(t, code, retry, body, "client 127.0.0.1 holds 2")
	code, _, body = e.do(t, http.MethodGet, "/api/v1/pods", "")
	require.Equal(t, http.StatusOK, code, "a list is no watch: %s", body)
}

func TestLimitRequestTimeout(t *testing.T) {
	e := startLimitEnv(t, Limits{})
	for _, tc := range []struct {
		path     string
		deadline bool
	}{
		{"/api/v1/pods", true},
		{"/api/v1/pods?watch=true", false},
		{"/api/v1/namespaces/default/pods/p/log", false},
	} {
		code, _, body := e.do(t, http.MethodGet, tc.path, "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, fmt.Sprintf("0 %t", tc.deadline), body, tc.path)
	}
	code, _, body := e.do(t, http.MethodPost, "/api/v1/namespaces/default/pods", "{}")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "2 true", body)
}

func TestLimitBodySize(t *testing.T) {
	e := startLimitEnv(t, Limits{MaxBodyBytes: 10})
	code, _, body := e.do(t, http.MethodPost, "/api/v1/namespaces/default/pods", strings.Repeat("x", 10))
	require.Equal(t, http.StatusOK, code, body)
	code, _, body = e.do(t, http.MethodPost, "/api/v1/namespaces/default/pods", strings.Repeat("x", 11))
	require.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	require.Contains(t, body, "the request body is larger than 10 bytes")
}

// TestLimitBodyReadTimeout sends a body one byte at a time, each byte well within the read
// timeout but the whole body not: the server answers 408 once the timeout has passed.
func TestLimitBodyReadTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	e := startLimitEnv(t, Limits{BodyReadTimeout: timeout})
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	start := time.Now()
	_, err = fmt.Fprintf(conn, "POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
	require.NoError(t, err)
	// Trickle a byte every 200 ms in the background; the server cuts the request off.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	elapsed := time.Since(start)
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, string(b))
	require.Contains(t, string(b), "the body was not received within 500ms")
	require.GreaterOrEqual(t, elapsed, timeout)
	require.Less(t, elapsed, 5*time.Second)
}
