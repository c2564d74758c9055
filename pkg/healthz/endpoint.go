package healthz

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/keelson-dev/keelson/pkg/run"
)

// NewRegistry returns a Prometheus registry holding the Go runtime and process collectors every
// daemon exports; a daemon registers its own metrics on it too.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NewEndpoint returns an HTTP endpoint that will serve cfg's health checks (and metrics, when
// cfg.Metrics is set) on address once run, as Install registers them. It opens nothing yet.
func NewEndpoint(address string, shutdownTimeout time.Duration, cfg Config) (*run.HTTPEndpoint, error) {
	mux := http.NewServeMux()
	if err := Install(mux, cfg); err != nil {
		return nil, fmt.Errorf("health endpoint on %s: %w", address, err)
	}
	return run.NewHTTPEndpoint(address, mux, shutdownTimeout), nil
}
