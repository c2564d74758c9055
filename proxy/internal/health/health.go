// Package health serves keelson-proxy's /healthz as kube-proxy does: a JSON body with the time
// the forwarding rules last matched the cluster's state (lastUpdated) and the current time, and
// 200 while the proxy keeps up or 503 once a change has waited longer than the timeout, or before
// the first sync. /livez answers "ok" as long as the process serves at all.
package health

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/keelson-dev/keelson/pkg/clock"
)

// Status tells when the rules last matched the state and since when a change has been waiting
// (zero times for never and none).
type Status interface {
	Health() (lastSync, pendingSince time.Time)
}

// Handler serves /healthz and /livez.
type Handler struct {
	status  Status
	clk     clock.Clock
	timeout time.Duration
	mux     *http.ServeMux
}

// response is the body of /healthz, with Kubernetes' field names.
type response struct {
	LastUpdated  string `json:"lastUpdated"`
	CurrentTime  string `json:"currentTime"`
	NodeEligible bool   `json:"nodeEligible"`
}

// NewHandler returns a handler that reports status, unhealthy once a change has waited longer
// than timeout.
func NewHandler(status Status, clk clock.Clock, timeout time.Duration) *Handler {
	h := &Handler{status: status, clk: clk, timeout: timeout, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	return h
}

// ServeHTTP serves the handler's paths.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Healthy reports whether the proxy keeps up, as /healthz answers it.
func (h *Handler) Healthy() bool {
	last, pending := h.status.Health()
	return healthy(h.clk.Now(), last, pending, h.timeout)
}

func healthy(now, last, pending time.Time, timeout time.Duration) bool {
	if last.IsZero() {
		return false
	}
	return pending.IsZero() || now.Sub(pending) < timeout
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	now := h.clk.Now()
	last, pending := h.status.Health()
	body := response{CurrentTime: now.UTC().Format(time.RFC3339Nano), NodeEligible: true}
	if !last.IsZero() {
		body.LastUpdated = last.UTC().Format(time.RFC3339Nano)
	}
	code := http.StatusOK
	if !healthy(now, last, pending, h.timeout) {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
