package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/test/framework"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := framework.HTTPClientFor(url).Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestHTTPHealthVersionAndMetricsShareThePort(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		code, body := get(t, base+path)
		require.Equal(t, http.StatusOK, code, path)
		require.Equal(t, "ok", strings.TrimSpace(body), path)
	}
	code, body := get(t, base+"/readyz?verbose")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "[+]etcd ok")
	require.Contains(t, body, "[+]watch-caches ok")

	code, body = get(t, base+"/version")
	require.Equal(t, http.StatusOK, code)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.Equal(t, "1", v["major"])
	require.Equal(t, "32", v["minor"])
	require.Contains(t, v["gitVersion"], "keelson")

	// A request counts in the metrics, which are in the Prometheus text format.
	_, err := cl.Client().Namespaces().Get(testContext(t), "default")
	require.NoError(t, err)
	code, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `keelson_apiserver_grpc_requests_total{code="OK",method="/keelson.resource.v1.ResourceService/Get"}`)
	require.Contains(t, body, "keelson_apiserver_watchers ")
	require.Contains(t, body, `keelson_apiserver_inflight_queued_requests{request_kind="mutating"} 0`)
	require.Contains(t, body, `keelson_apiserver_inflight_queued_requests{request_kind="readOnly"} 0`)
}

func TestReadyzFollowsEtcd(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	cl.CutEtcd()
	code, body := get(t, base+"/readyz?verbose")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "[-]etcd failed")
	code, _ = get(t, base+"/livez")
	require.Equal(t, http.StatusOK, code, "a lost etcd is not a reason to restart the apiserver")
	cl.ResumeEtcd()
	framework.Eventually(t, 30*time.Second, func() bool {
		code, _ := get(t, base+"/readyz")
		return code == http.StatusOK
	}, "ready again once etcd is back")
}
