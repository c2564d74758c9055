package healthz_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keelson-dev/keelson/pkg/healthz"
)

func ExampleInstall() {
	var synced atomic.Bool
	mux := http.NewServeMux()
	err := healthz.Install(mux, healthz.Config{
		Live: []healthz.Check{healthz.Ping()},
		Ready: []healthz.Check{{Name: "informer-sync", Fn: func(*http.Request) error {
			if !synced.Load() {
				return errors.New("caches not synced")
			}
			return nil
		}}},
		Metrics: prometheus.NewRegistry(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Print(rec.Code, "\n", rec.Body.String())
	// Output:
	// 503
	// [+]ping ok
	// [-]informer-sync failed: caches not synced
	// readyz check failed
}
