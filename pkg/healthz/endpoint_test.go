package healthz_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/healthz"
	"github.com/keelson-dev/keelson/pkg/healthz/healthztest"
)

func TestNewEndpoint(t *testing.T) {
	e, err := healthz.NewEndpoint("127.0.0.1:0", time.Second, healthz.Config{
		Live:    []healthz.Check{healthz.Ping()},
		Metrics: healthz.NewRegistry(),
	})
	require.NoError(t, err)
	base, stop := healthztest.Start(t, e)
	healthztest.RequireHealthy(t, base)
	code, body := healthztest.Get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "go_goroutines")
	require.Contains(t, body, "process_start_time_seconds")
	require.NoError(t, stop())
}

func TestNewEndpointRejectsBadChecks(t *testing.T) {
	_, err := healthz.NewEndpoint("127.0.0.1:0", time.Second, healthz.Config{Live: []healthz.Check{{Name: "x"}}})
	require.ErrorContains(t, err, `health endpoint on 127.0.0.1:0: health check "x" has no function`)
}
