package healthz

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// handler serves one endpoint (livez, readyz or healthz) over its checks.
type handler struct {
	name   string
	checks []Check
}

// ServeHTTP runs every check not excluded by ?exclude= in order. On success it answers 200 with
// "ok" (or the full list with ?verbose); on failure 503 with the full list, so the failing check is
// always named.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	excluded := r.URL.Query()["exclude"]
	_, verbose := r.URL.Query()["verbose"]
	var (
		report strings.Builder
		failed bool
	)
	for _, c := range h.checks {
		if slices.Contains(excluded, c.Name) {
			fmt.Fprintf(&report, "[+]%s excluded: ok\n", c.Name)
			continue
		}
		if err := c.Fn(r); err != nil {
			failed = true
			fmt.Fprintf(&report, "[-]%s failed: %v\n", c.Name, err)
			continue
		}
		fmt.Fprintf(&report, "[+]%s ok\n", c.Name)
	}
	for _, name := range excluded {
		if !h.has(name) {
			fmt.Fprintf(&report, "warn: some health checks cannot be excluded: no matches for %q\n", name)
		}
	}
	if failed {
		fmt.Fprintf(&report, "%s check failed\n", h.name)
		write(w, http.StatusServiceUnavailable, report.String())
		return
	}
	if verbose {
		fmt.Fprintf(&report, "%s check passed\n", h.name)
		write(w, http.StatusOK, report.String())
		return
	}
	write(w, http.StatusOK, "ok")
}

// serveOne runs the single check named in the path.
func (h *handler) serveOne(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("check")
	for _, c := range h.checks {
		if c.Name != name {
			continue
		}
		if err := c.Fn(r); err != nil {
			write(w, http.StatusServiceUnavailable, fmt.Sprintf("[-]%s failed: %v\n", name, err))
			return
		}
		write(w, http.StatusOK, "ok")
		return
	}
	http.NotFound(w, r)
}

func (h *handler) has(name string) bool {
	return slices.ContainsFunc(h.checks, func(c Check) bool { return c.Name == name })
}

func write(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = fmt.Fprint(w, body) // the client went away; nothing to do
}
