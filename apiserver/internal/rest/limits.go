package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/keelson-dev/keelson/apiserver/internal/limits"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// Limits are the bounds the REST edge holds every request under /api and /apis to, before it is
// routed. Zero fields take the defaults New documents.
type Limits struct {
	// Inflight counts requests in flight and watches per client; nil bounds neither.
	Inflight *limits.Limiter
	// MaxBodyBytes bounds a request body (default 3 MiB); more is RequestEntityTooLarge (413).
	MaxBodyBytes int64
	// BodyReadTimeout bounds the time reading a request body may take, from the moment the
	// request is routed (default 30 s): a client trickling its body is cut off with 408.
	BodyReadTimeout time.Duration
	// RequestTimeout bounds a request that is not long-running (default 60 s, Kubernetes'
	// --request-timeout): its context ends then, and what it waits on fails with Timeout (504).
	RequestTimeout time.Duration
}

// Defaults of Limits.
const (
	DefaultBodyReadTimeout = 30 * time.Second
	DefaultRequestTimeout  = 60 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = registry.DefaultMaxPatchedBytes
	}
	if l.BodyReadTimeout <= 0 {
		l.BodyReadTimeout = DefaultBodyReadTimeout
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = DefaultRequestTimeout
	}
	return l
}

// limit wraps next with the handler's Limits: it admits the request against the in-flight or
// watch bounds by its class, bounds a request that is not long-running by RequestTimeout, and
// bounds a write's body in size and read time.
func (h *Handler) limit(next http.Handler) http.Handler {
	lim := h.limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		class := classify(r)
		switch class {
		case limits.Watch:
			client := clientOf(r)
			if err := lim.Inflight.AdmitWatch(client); err != nil {
				writeError(w, err)
				return
			}
			defer lim.Inflight.WatchDone(client)
		case limits.LongRunning:
		default:
			if err := lim.Inflight.Admit(r.Context(), class); err != nil {
				writeError(w, err)
				return
			}
			defer lim.Inflight.Done(class)
			ctx, cancel := context.WithTimeout(r.Context(), lim.RequestTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		// Only writes carry a body the handlers read; a body on a read is left to the server.
		if class == limits.Mutating && r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, newDeadlineBody(w, r.Body, lim.BodyReadTimeout), lim.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// classify returns how a request counts against the limits, as Kubernetes counts it: a watch
// (watch=true) and a pod's log are long-running; other reads are read-only; every other method
// mutates. A malformed watch parameter counts as a read; the handler refuses it.
func classify(r *http.Request) limits.Class {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		return limits.Mutating
	}
	if isPodLog(r.URL.Path) {
		return limits.LongRunning
	}
	// Parse the query only when it can hold the parameter: most reads carry none.
	if strings.Contains(r.URL.RawQuery, "watch") {
		if watch, err := queryBool(r.URL.Query(), "watch"); err == nil && watch {
			return limits.Watch
		}
	}
	return limits.ReadOnly
}

// isPodLog reports whether path is a pod's log subresource, .../pods/<name>/log: not a pod or an
// object of another resource that happens to be named "log".
func isPodLog(path string) bool {
	obj, ok := strings.CutSuffix(path, "/log")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(obj, '/')
	return i > 0 && strings.HasSuffix(obj[:i], "/pods")
}

// clientOf returns the client a request's watches are counted against: its remote IP address.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// errBodyTimeout is what reading a body past its read deadline returns.
var errBodyTimeout = errors.New("request body read timeout")

// deadlineBody is a request body that must be read within a deadline set on the connection. The
// deadline is lifted as soon as the body ends, so it never reaches the rest of the request: the
// server's check for a closed connection reads with whatever deadline is set. A body that fails
// keeps it, so that the server's own attempt to drain the rest of the body after the handler
// fails at once too, and the connection is closed instead of kept waiting on the client.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
}

// newDeadlineBody sets the read deadline on the connection under w and returns body bounded by
// it; where the connection takes no deadline, body comes back as it is.
func newDeadlineBody(w http.ResponseWriter, body io.ReadCloser, timeout time.Duration) io.ReadCloser {
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return body
	}
	return &deadlineBody{ReadCloser: body, rc: rc, timeout: timeout}
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("%w: the body was not received within %s", errBodyTimeout, b.timeout)
	}
	return n, err
}

// bodyError maps a failure to read a request body to its Status: 413 past the size bound, 408
// past the read deadline, 400 otherwise.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return apierrors.NewRequestEntityTooLarge("the request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, errBodyTimeout):
		return &apierrors.StatusError{Reason: apierrors.ReasonTimeout, Code: http.StatusRequestTimeout,
			Message: "Timeout: " + err.Error()}
	default:
		return apierrors.NewBadRequest("read request body: %v", err)
	}
}
