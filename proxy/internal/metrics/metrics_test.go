package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

func TestServiceRecorderAndForget(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := New(reg)
	require.NoError(t, err)
	s := m.Service("default/web:http", "TCP")
	s.Opened()
	s.Opened()
	s.Closed()
	s.Bytes(10, 20)
	s.Error("no_endpoints")
	m.ObserveSync("default/web", 3*time.Millisecond)

	want := `
# HELP keelson_proxy_active_connections Connections (TCP) and flows (UDP) open now, per service port.
# TYPE keelson_proxy_active_connections gauge
keelson_proxy_active_connections{protocol="TCP",service="default/web:http"} 1
# HELP keelson_proxy_bytes_total Bytes forwarded per service port; direction is to_endpoint or to_client.
# TYPE keelson_proxy_bytes_total counter
keelson_proxy_bytes_total{direction="to_client",protocol="TCP",service="default/web:http"} 20
keelson_proxy_bytes_total{direction="to_endpoint",protocol="TCP",service="default/web:http"} 10
# HELP keelson_proxy_connections_total Connections (TCP) and flows (UDP) forwarded to an endpoint, per service port.
# TYPE keelson_proxy_connections_total counter
keelson_proxy_connections_total{protocol="TCP",service="default/web:http"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"keelson_proxy_active_connections", "keelson_proxy_bytes_total", "keelson_proxy_connections_total"))
	require.Equal(t, 1, testutil.CollectAndCount(m.errors))
	require.Equal(t, 1, testutil.CollectAndCount(m.syncLatency))

	m.Forget("default/web:http")
	require.Zero(t, testutil.CollectAndCount(m.connections))
	require.Zero(t, testutil.CollectAndCount(m.bytes))
	require.Equal(t, 1, testutil.CollectAndCount(m.syncLatency), "the service's sync latency outlives one port")
	m.ForgetService("default/web")
	require.Zero(t, testutil.CollectAndCount(m.syncLatency))

	var none *Metrics
	none.Service("x", "TCP").Opened() // a nil Metrics records nothing and does not panic
	none.ObserveSync("x", time.Second)
}
