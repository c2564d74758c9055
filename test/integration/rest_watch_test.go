package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// restEvent is a watch event as the REST edge streams it.
type restEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// restWatch opens a REST watch at path?query and returns its events, which end when the stream
// does, and the response's status code.
func restWatch(t *testing.T, base, path string) (<-chan restEvent, int) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, base+path, nil)
	require.NoError(t, err)
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	ch := make(chan restEvent, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e restEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				ch <- e
			}
		}
	}()
	return ch, resp.StatusCode
}

func nextEvent(t *testing.T, ch <-chan restEvent) restEvent {
	t.Helper()
	select {
	case e, ok := <-ch:
		require.True(t, ok, "the watch ended")
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event in 10s")
		return restEvent{}
	}
}

func restDo(t *testing.T, method, url, contentType, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func TestRESTWatchStreamsChangesAndEndsAtTimeout(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	code, created := restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps", "application/json",
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"k":"1"}}`)
	require.Equal(t, http.StatusCreated, code, created)
	rv := created["metadata"].(map[string]any)["resourceVersion"].(string)

	start := time.Now()
	ch, code := restWatch(t, base, "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=2&resourceVersion="+rv)
	require.Equal(t, http.StatusOK, code)
	code, _ = restDo(t, http.MethodPatch, base+"/api/v1/namespaces/default/configmaps/w", "application/merge-patch+json", `{"data":{"k":"2"}}`)
	require.Equal(t, http.StatusOK, code)
	e := nextEvent(t, ch)
	require.Equal(t, "MODIFIED", e.Type)
	var cm struct {
		Kind string
		Data map[string]string
	}
	require.NoError(t, json.Unmarshal(e.Object, &cm))
	require.Equal(t, "ConfigMap", cm.Kind)
	require.Equal(t, "2", cm.Data["k"])
	code, _ = restDo(t, http.MethodDelete, base+"/api/v1/namespaces/default/configmaps/w", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "DELETED", nextEvent(t, ch).Type)
	for range ch {
	}
	require.Less(t, time.Since(start), 8*time.Second, "the stream must end at timeoutSeconds")
}

func TestRESTWatchOfExpiredVersionIsAnErrorEvent(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.WatchCacheSize = 10 }})
	base := cl.URL(0)
	_, list := restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps", "", "")
	rv := list["metadata"].(map[string]any)["resourceVersion"].(string)
	for i := range 15 {
		code, _ := restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps", "",
			fmt.Sprintf(`{"metadata":{"name":"c%d"}}`, i))
		require.Equal(t, http.StatusCreated, code)
	}
	ch, code := restWatch(t, base, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion="+rv)
	require.Equal(t, http.StatusOK, code)
	e := nextEvent(t, ch)
	require.Equal(t, "ERROR", e.Type)
	var st struct {
		Kind, Status, Reason string
		Code                 int
	}
	require.NoError(t, json.Unmarshal(e.Object, &st))
	require.Equal(t, "Status", st.Kind)
	require.Equal(t, "Failure", st.Status)
	require.Equal(t, "Expired", st.Reason)
	require.Equal(t, http.StatusGone, st.Code)

	// A list at that older version is still served (as "not older than").
	code, old := restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps?resourceVersion="+rv, "", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, old["items"], 15)
}

func TestRESTWatchSendsInitialEventsOrRefusesThem(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	for _, n := range []string{"a", "b"} {
		code, _ := restDo(t, http.MethodPost, base+"/api/v1/namespaces/default/configmaps", "", `{"metadata":{"name":"`+n+`"}}`)
		require.Equal(t, http.StatusCreated, code)
	}
	code, st := restDo(t, http.MethodGet, base+"/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true", "", "")
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, "Invalid", st["reason"])

	ch, code := restWatch(t, base, "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=5")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ADDED", nextEvent(t, ch).Type)
	require.Equal(t, "ADDED", nextEvent(t, ch).Type)
	e := nextEvent(t, ch)
	require.Equal(t, "BOOKMARK", e.Type)
	var bm struct {
		Kind     string
		Metadata struct {
			ResourceVersion string
			Annotations     map[string]string
		}
	}
	require.NoError(t, json.Unmarshal(e.Object, &bm))
	require.Equal(t, "ConfigMap", bm.Kind)
	require.NotEmpty(t, bm.Metadata.ResourceVersion)
	require.Equal(t, "true", bm.Metadata.Annotations["k8s.io/initial-events-end"])
}

func TestRESTWatchAsTableSendsRows(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	req, err := http.NewRequestWithContext(testContext(t), http.MethodGet, base+"/api/v1/namespaces?watch=true&timeoutSeconds=2", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	require.True(t, sc.Scan())
	var e struct {
		Type   string
		Object struct {
			Kind              string
			ColumnDefinitions []struct{ Name string }
			Rows              []struct {
				Cells  []any
				Object struct{ Kind string }
			}
		}
	}
	require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
	require.Equal(t, "ADDED", e.Type)
	require.Equal(t, "Table", e.Object.Kind)
	require.Len(t, e.Object.ColumnDefinitions, 3)
	require.Len(t, e.Object.Rows, 1)
	require.Len(t, e.Object.Rows[0].Cells, 3)
	require.Equal(t, "PartialObjectMetadata", e.Object.Rows[0].Object.Kind)
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
