// Package healthz serves the health and metrics endpoints every Keelson daemon exposes, in the
// shape Kubernetes components use: /livez, /readyz and /healthz run named checks and answer "ok"
// or 503 naming what failed; "?verbose" lists every check as "[+]name ok" or "[-]name failed: …";
// "?exclude=name" skips a check; "/readyz/<name>" runs one check. /metrics serves a Prometheus
// registry.
package healthz

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one named health check. Fn returns nil when healthy; it should respect the request's
// context and return quickly, as probes run it on every request.
type Check struct {
	Name string
	Fn   func(*http.Request) error
}

// Ping returns the check that always passes: it proves the server answers at all.
func Ping() Check {
	return Check{Name: "ping", Fn: func(*http.Request) error { return nil }}
}

// Config says what Install serves.
type Config struct {
	// Live checks fail when the process should be restarted. They run on /livez, /readyz and
	// /healthz.
	Live []Check
	// Ready checks fail while the process should get no traffic or work (still starting, lost its
	// backend). They run on /readyz and /healthz.
	Ready []Check
	// Metrics, when non-nil, is served on /metrics.
	Metrics prometheus.Gatherer
}

// Install registers /healthz, /livez and /readyz (each also as /<endpoint>/<check name>) and, when
// cfg.Metrics is set, /metrics on mux. It fails, registering nothing, when a check has no name, no
// function, a name with "/" or a name used twice. Like http.ServeMux.Handle, it panics if mux
// already has a handler for one of these paths.
func Install(mux *http.ServeMux, cfg Config) error {
	all := append(append([]Check(nil), cfg.Live...), cfg.Ready...)
	if err := validate(all); err != nil {
		return err
	}
	endpoints := []struct {
		name   string
		checks []Check
	}{
		{name: "livez", checks: cfg.Live},
		{name: "readyz", checks: all},
		{name: "healthz", checks: all},
	}
	for _, ep := range endpoints {
		h := &handler{name: ep.name, checks: ep.checks}
		mux.Handle("GET /"+ep.name, h)
		mux.HandleFunc("GET /"+ep.name+"/{check}", h.serveOne)
	}
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{}))
	}
	return nil
}

func validate(checks []Check) error {
	seen := make(map[string]bool, len(checks))
	var errs []error
	for i, c := range checks {
		switch {
		case c.Name == "":
			errs = append(errs, fmt.Errorf("health check %d has no name", i))
		case strings.Contains(c.Name, "/"):
			errs = append(errs, fmt.Errorf("health check %q: name must not contain '/'", c.Name))
		case seen[c.Name]:
			errs = append(errs, fmt.Errorf("health check %q registered twice", c.Name))
		}
		if c.Fn == nil {
			errs = append(errs, fmt.Errorf("health check %q has no function", c.Name))
		}
		seen[c.Name] = true
	}
	return errors.Join(errs...)
}
