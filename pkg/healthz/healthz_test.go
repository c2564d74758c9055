package healthz

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func fails(name, msg string) Check {
	return Check{Name: name, Fn: func(*http.Request) error { return errors.New(msg) }}
}

func passes(name string) Check {
	return Check{Name: name, Fn: func(*http.Request) error { return nil }}
}

func serve(t *testing.T, cfg Config, path string) (int, string) {
	t.Helper()
	mux := http.NewServeMux()
	require.NoError(t, Install(mux, cfg))
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestEndpoints(t *testing.T) {
	healthy := Config{Live: []Check{Ping()}, Ready: []Check{passes("informer-sync")}}
	notReady := Config{Live: []Check{Ping()}, Ready: []Check{fails("apiserver", "connection refused")}}
	notLive := Config{Live: []Check{Ping(), fails("deadlock", "loop stuck")}, Ready: []Check{passes("informer-sync")}}

	tests := []struct {
		name     string
		cfg      Config
		path     string
		wantCode int
		wantBody string
	}{
		{name: "healthy healthz", cfg: healthy, path: "/healthz", wantCode: 200, wantBody: "ok"},
		{name: "healthy livez", cfg: healthy, path: "/livez", wantCode: 200, wantBody: "ok"},
		{name: "healthy readyz", cfg: healthy, path: "/readyz", wantCode: 200, wantBody: "ok"},
		{
			name: "verbose lists checks", cfg: healthy, path: "/readyz?verbose", wantCode: 200,
			wantBody: "[+]ping ok\n[+]informer-sync ok\nreadyz check passed\n",
		},
		{
			name: "verbose livez lists only live checks", cfg: healthy, path: "/livez?verbose", wantCode: 200,
			wantBody: "[+]ping ok\nlivez check passed\n",
		},
		{
			name: "failing ready check fails readyz naming it", cfg: notReady, path: "/readyz", wantCode: 503,
			wantBody: "[+]ping ok\n[-]apiserver failed: connection refused\nreadyz check failed\n",
		},
		{
			name: "failing ready check fails healthz", cfg: notReady, path: "/healthz", wantCode: 503,
			wantBody: "[+]ping ok\n[-]apiserver failed: connection refused\nhealthz check failed\n",
		},
		{name: "failing ready check leaves livez alone", cfg: notReady, path: "/livez", wantCode: 200, wantBody: "ok"},
		{
			name: "failing live check fails readyz too", cfg: notLive, path: "/readyz", wantCode: 503,
			wantBody: "[+]ping ok\n[-]deadlock failed: loop stuck\n[+]informer-sync ok\nreadyz check failed\n",
		},
		{
			name: "exclude skips a failing check", cfg: notReady, path: "/readyz?exclude=apiserver&verbose", wantCode: 200,
			wantBody: "[+]ping ok\n[+]apiserver excluded: ok\nreadyz check passed\n",
		},
		{
			name: "exclude of an unknown check warns", cfg: healthy, path: "/livez?exclude=nope&verbose", wantCode: 200,
			wantBody: "[+]ping ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nlivez check passed\n",
		},
		{name: "single passing check", cfg: notReady, path: "/readyz/ping", wantCode: 200, wantBody: "ok"},
		{
			name: "single failing check", cfg: notReady, path: "/readyz/apiserver", wantCode: 503,
			wantBody: "[-]apiserver failed: connection refused\n",
		},
		{name: "ready check is not a live check", cfg: notReady, path: "/livez/apiserver", wantCode: 404},
		{name: "unknown single check", cfg: healthy, path: "/healthz/nope", wantCode: 404},
		{name: "no metrics without a registry", cfg: healthy, path: "/metrics", wantCode: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := serve(t, tt.cfg, tt.path)
			require.Equal(t, tt.wantCode, code, body)
			if tt.wantBody != "" {
				require.Equal(t, tt.wantBody, body)
			}
		})
	}
}

func TestChecksSeeTheRequest(t *testing.T) {
	var gotPath string
	cfg := Config{Live: []Check{{Name: "spy", Fn: func(r *http.Request) error { gotPath = r.URL.Path; return nil }}}}
	code, _ := serve(t, cfg, "/livez")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "/livez", gotPath)
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "keelson_test_total", Help: "A test counter."})
	reg.MustRegister(c)
	c.Add(3)
	code, body := serve(t, Config{Live: []Check{Ping()}, Metrics: reg}, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "keelson_test_total 3")
}

func TestInstallRejectsBadChecks(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "no name", cfg: Config{Live: []Check{{Fn: Ping().Fn}}}, wantErr: "health check 0 has no name"},
		{name: "slash", cfg: Config{Ready: []Check{passes("a/b")}}, wantErr: `health check "a/b": name must not contain '/'`},
		{name: "no function", cfg: Config{Live: []Check{{Name: "x"}}}, wantErr: `health check "x" has no function`},
		{
			name:    "duplicate across live and ready",
			cfg:     Config{Live: []Check{Ping()}, Ready: []Check{Ping()}},
			wantErr: `health check "ping" registered twice`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			require.ErrorContains(t, Install(mux, tt.cfg), tt.wantErr)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			require.Equal(t, http.StatusNotFound, rec.Code, "nothing may be registered after an error")
		})
	}
}
