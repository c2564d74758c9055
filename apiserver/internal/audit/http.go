package audit

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
)

// HTTP returns next recording an event per request: ResponseComplete once next returns, and for a
// watch also ResponseStarted once its response has begun. The response carries the event's ID in
// the Audit-ID header, as Kubernetes' does.
func (l *Logger) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := l.newEvent(r.Context(), l.cfg.Clock.Now())
		var ctx context.Context
		ctx, ev.rec = user.WithRecorder(r.Context())
		r = r.WithContext(ctx)
		ev.RequestURI = r.URL.RequestURI()
		ev.Verb, ev.ObjectRef = restRequest(r)
		ev.SourceIPs = sourceIPs(r)
		ev.UserAgent = r.UserAgent()
		w.Header().Set("Audit-ID", ev.AuditID)
		rw := &recorder{ResponseWriter: w}
		if ev.Verb == "watch" {
			rw.started = func(code int) {
				l.emit(l.at(ev, StageResponseStarted, newResponseStatus(int32(code), "")))
			}
		}
		defer func() {
			p := recover()
			code := rw.code
			switch {
			case code == 0 && p != nil:
				// Whoever recovers answers 500.
				code = http.StatusInternalServerError
			case code == 0:
				// A handler that wrote nothing answered 200, as net/http does.
				code = http.StatusOK
			}
			l.emit(l.at(ev, StageResponseComplete, newResponseStatus(int32(code), "")))
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

// sourceIPs returns the client's address, after the ones X-Forwarded-For and X-Real-Ip name, as
// Kubernetes lists them (the header ones are the client's claim; the last is the connection's).
func sourceIPs(r *http.Request) []string {
	var ips []string
	for _, h := range strings.Split(r.Header.Get("X-Forwarded-For"), ",") {
		if ip := strings.TrimSpace(h); net.ParseIP(ip) != nil {
			ips = append(ips, ip)
		}
	}
	if ip := strings.TrimSpace(r.Header.Get("X-Real-Ip")); net.ParseIP(ip) != nil {
		ips = append(ips, ip)
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ips = append(ips, host)
	}
	return ips
}

// recorder keeps the status code a handler writes, and tells started when the response begins.
type recorder struct {
	http.ResponseWriter
	code    int
	started func(code int)
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
		if r.started != nil && code < 400 {
			r.started(code)
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Flush passes on to the writer, which watches and followed logs need.
func (r *recorder) Flush() {
	if r.code == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer's other abilities.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
