package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/server"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// configMapsURL is the REST collection of configmaps in default on cl's first apiserver.
func configMapsURL(cl *framework.Cluster) string {
	return cl.URL(0) + "/api/v1/namespaces/default/configmaps"
}

// createConfigMap creates configmap name in default over REST with data k set to value.
func createConfigMap(t *testing.T, cl *framework.Cluster, name, value string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}, "data": map[string]string{"k": value},
	})
	require.NoError(t, err)
	code, st := restDo(t, http.MethodPost, configMapsURL(cl), "application/json", string(body))
	require.Equal(t, http.StatusCreated, code, st)
}

// amplifyingPatch is a JSON patch that adds a value of size bytes at /data/big and copies it
// copies times.
func amplifyingPatch(size, copies int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[{"op":"add","path":"/data/big","value":%q}`, strings.Repeat("x", size))
	for i := range copies {
		fmt.Fprintf(&b, `,{"op":"copy","from":"/data/big","path":"/data/c%d"}`, i)
	}
	b.WriteString("]")
	return b.String()
}

// heapPeak samples the process's heap (the in-process apiserver's included) every few
// milliseconds until stop is called, which returns the peak's growth over the heap at the start.
func heapPeak(t *testing.T) (stop func() uint64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	done := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() {
		top := base
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			top = max(top, ms.HeapInuse)
			select {
			case <-done:
				peak <- top - base
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-peak
	}
}

// TestJSONPatchAmplificationIsBounded sends a JSON patch that adds a 100 KB value and copies it
// 5,000 times, over REST and gRPC: each is refused with a 4xx, and the heap of the process the
// apiserver runs in grows by less than 100 MB at its peak (unbounded, it took gigabytes). The heap
// is the bound this checks; how fast the refusal comes depends on the machine's load, so the time
// is only logged.
func TestJSONPatchAmplificationIsBounded(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	createConfigMap(t, cl, "amp", "v")
	patch := amplifyingPatch(100*1024, 5000)
	raw := resourceClient(t, cl)

	t.Run("REST", func(t *testing.T) {
		stop := heapPeak(t)
		start := time.Now()
		code, st := restDo(t, http.MethodPatch, configMapsURL(cl)+"/amp", "application/json-patch+json", patch)
		elapsed := time.Since(start)
		grown := stop()
		t.Logf("REST: answered %d in %s, heap grew by %d KB at its peak", code, elapsed, grown>>10)
		require.Equal(t, http.StatusUnprocessableEntity, code, st)
		require.Contains(t, st["message"], "accumulated size increase of copy")
		require.Less(t, grown, uint64(100<<20), "heap grew by %d MB", grown>>20)
	})
	t.Run("gRPC", func(t *testing.T) {
		stop := heapPeak(t)
		start := time.Now()
		_, err := raw.Patch(ctx, &resourcev1.PatchRequest{Resource: configMapsGVR, Namespace: "default", Name: "amp",
			PatchType: "application/json-patch+json", Patch: []byte(patch)})
		elapsed := time.Since(start)
		grown := stop()
		t.Logf("gRPC: answered %s in %s, heap grew by %d KB at its peak", status.Code(err), elapsed, grown>>10)
		require.Equal(t, codes.InvalidArgument, status.Code(err), "got %v", err)
		require.Contains(t, status.Convert(err).Message(), "accumulated size increase of copy")
		require.Less(t, grown, uint64(100<<20), "heap grew by %d MB", grown>>20)
	})
	t.Run("too many operations", func(t *testing.T) {
		code, st := restDo(t, http.MethodPatch, configMapsURL(cl)+"/amp", "application/json-patch+json", amplifyingPatch(1, 10000))
		require.Equal(t, http.StatusRequestEntityTooLarge, code, st)
		require.Contains(t, st["message"], "the allowed maximum operations in a JSON patch is 10000, got 10001")
	})
	code, st := restDo(t, http.MethodGet, configMapsURL(cl)+"/amp", "", "")
	require.Equal(t, http.StatusOK, code, st)
	require.Equal(t, map[string]any{"k": "v"}, st["data"], "nothing was written")
}

// TestPatchedObjectSizeIsBounded patches an object of 200 KB by 100 KB more with every patch type,
// on an apiserver whose request body bound is 256 KiB: each patch is within the bound, the
// object it makes is not, and each is refused with 413 (ResourceExhausted over gRPC).
func TestPatchedObjectSizeIsBounded(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.MaxRequestBodyBytes = 256 << 10 }})
	ctx := testContext(t)
	createConfigMap(t, cl, "grown", strings.Repeat("a", 200<<10))
	more := strings.Repeat("b", 100<<10)
	for _, tc := range []struct{ name, contentType, patch string }{
		{"merge patch", "application/merge-patch+json", `{"data":{"more":"` + more + `"}}`},
		{"strategic merge patch", "application/strategic-merge-patch+json", `{"data":{"more":"` + more + `"}}`},
		{"JSON patch", "application/json-patch+json", `[{"op":"add","path":"/data/more","value":"` + more + `"}]`},
	} {
		t.Run("REST "+tc.name, func(t *testing.T) {
			code, st := restDo(t, http.MethodPatch, configMapsURL(cl)+"/grown", tc.contentType, tc.patch)
			require.Equal(t, http.StatusRequestEntityTooLarge, code, st)
			require.Contains(t, st["message"], "the patched ConfigMap is")
			require.Contains(t, st["message"], "the limit is 262144 bytes")
		})
	}
	t.Run("gRPC merge patch", func(t *testing.T) {
		_, err := resourceClient(t, cl).Patch(ctx, &resourcev1.PatchRequest{Resource: configMapsGVR, Namespace: "default", Name: "grown",
			PatchType: "application/merge-patch+json", Patch: []byte(`{"data":{"more":"` + more + `"}}`)})
		require.Equal(t, codes.ResourceExhausted, status.Code(err), "got %v", err)
		require.Contains(t, status.Convert(err).Message(), "the patched ConfigMap is")
	})
	t.Run("a body past the bound", func(t *testing.T) {
		code, st := restDo(t, http.MethodPatch, configMapsURL(cl)+"/grown", "application/merge-patch+json",
			`{"data":{"more":"`+strings.Repeat("c", 300<<10)+`"}}`)
		require.Equal(t, http.StatusRequestEntityTooLarge, code, st)
		require.Contains(t, st["message"], "the request body is larger than 262144 bytes")
	})
}

// slowRequest opens a raw TLS connection to addr (a server of cl, as the admin) and sends the head
// of an HTTP/1.1 request with a body of length bytes, and none of the body yet.
func slowRequest(t *testing.T, cl *framework.Cluster, addr, method, path string, length int) net.Conn {
	t.Helper()
	cfg := cl.AdminTLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", addr, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		method, path, addr, length)
	require.NoError(t, err)
	return conn
}

// TestRequestBodyReadDeadline sends a body one byte every two seconds, as a hostile client may:
// the apiserver cuts the request off with 408 once its body read deadline (3 s here) passes, and
// closes the connection.
func TestRequestBodyReadDeadline(t *testing.T) {
	const deadline = 3 * time.Second
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.RequestBodyReadTimeout = deadline }})
	start := time.Now()
	conn := slowRequest(t, cl, cl.Endpoint(0), http.MethodPost, "/api/v1/namespaces/default/configmaps", 200)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Second)
		defer tick.Stop()
		for {
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	elapsed := time.Since(start)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, string(body))
	require.Contains(t, string(body), "the body was not received within 3s")
	require.GreaterOrEqual(t, elapsed, deadline)
	require.Less(t, elapsed, deadline+5*time.Second)
	_, err = br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the connection is closed after the answer")
}

// requireRESTTooMany checks a REST answer is Kubernetes' 429: Retry-After 1 and a TooManyRequests
// Status.
func requireRESTTooMany(t *testing.T, resp *http.Response, mention string) {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, st)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	require.Equal(t, "Status", st["kind"])
	require.Equal(t, "TooManyRequests", st["reason"])
	require.Contains(t, st["message"], mention)
}

// requireGRPCTooMany checks a gRPC error is ResourceExhausted with a RetryInfo of one second.
func requireGRPCTooMany(t *testing.T, err error, mention string) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.ResourceExhausted, st.Code(), "got %v", err)
	require.Contains(t, st.Message(), mention)
	var delay time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			delay = ri.GetRetryDelay().AsDuration()
		}
	}
	require.Equal(t, time.Second, delay, "a RetryInfo detail")
}

// restSend sends a request and returns the response, whose body the caller closes.
func restSend(ctx context.Context, t *testing.T, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	return resp
}

// TestInflightLimits holds the apiserver's two mutating slots with requests whose bodies never
// come: further writes over REST and gRPC are refused with 429 / ResourceExhausted, while reads and
// watches are still served; once the held requests go, writes are served again.
func TestInflightLimits(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) {
		c.MaxMutatingRequestsInflight = 2
		c.MaxRequestsInflight = 2
		c.InflightQueueWait = 100 * time.Millisecond // each refusal below first waits this long for a slot
	}})
	ctx := testContext(t)
	createConfigMap(t, cl, "seen", "v")
	newCM := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-"}}`
	addr := cl.APIServer(0).Addr().String()
	held := []net.Conn{
		slowRequest(t, cl, addr, http.MethodPost, "/api/v1/namespaces/default/configmaps", 100),
		slowRequest(t, cl, addr, http.MethodPost, "/api/v1/namespaces/default/configmaps", 100),
	}
	// The held requests are admitted once the server has read their heads: wait for a refusal.
	var resp *http.Response
	require.Eventually(t, func() bool {
		resp = restSend(ctx, t, http.MethodPost, configMapsURL(cl), newCM)
		if resp.StatusCode == http.StatusTooManyRequests {
			return true
		}
		_ = resp.Body.Close()
		return false
	}, 10*time.Second, 20*time.Millisecond)
	requireRESTTooMany(t, resp, "the limit of 2 mutating requests in flight is reached")

	for _, method := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
		requireRESTTooMany(t, restSend(ctx, t, method, configMapsURL(cl)+"/seen", "{}"), "mutating requests in flight")
	}
	raw := resourceClient(t, cl)
	obj, err := anypb.New(&corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "via-grpc"}})
	require.NoError(t, err)
	_, err = raw.Create(ctx, &resourcev1.CreateRequest{Resource: configMapsGVR, Namespace: "default", Object: obj})
	requireGRPCTooMany(t, err, "mutating requests in flight")

	code, st := restDo(t, http.MethodGet, configMapsURL(cl)+"/seen", "", "")
	require.Equal(t, http.StatusOK, code, "reads have slots of their own: %v", st)
	_, err = raw.Get(ctx, &resourcev1.GetRequest{Resource: configMapsGVR, Namespace: "default", Name: "seen"})
	require.NoError(t, err)
	watch := restSend(ctx, t, http.MethodGet, configMapsURL(cl)+"?watch=true", "")
	require.Equal(t, http.StatusOK, watch.StatusCode, "a watch is not counted in flight")
	_ = watch.Body.Close()

	for _, c := range held {
		require.NoError(t, c.Close())
	}
	require.Eventually(t, func() bool {
		resp := restSend(ctx, t, http.MethodPost, configMapsURL(cl), newCM)
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusCreated
	}, 10*time.Second, 20*time.Millisecond, "writes are served once the held requests are gone")
}

// TestWatchesPerClient opens as many watches as one client may, over REST and gRPC together: the
// next is refused with 429 / ResourceExhausted, and a watch that ends frees its place.
func TestWatchesPerClient(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) { c.MaxWatchesPerClient = 3 }})
	ctx := testContext(t)
	watchURL := configMapsURL(cl) + "?watch=true"
	var rest []*http.Response
	for range 2 {
		resp := restSend(ctx, t, http.MethodGet, watchURL, "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		rest = append(rest, resp)
	}
	raw := resourceClient(t, cl)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	stream, err := raw.Watch(wctx, &resourcev1.WatchRequest{Resource: configMapsGVR, Namespace: "default"})
	require.NoError(t, err)
	_, err = stream.Header()
	require.NoError(t, err, "the gRPC watch is registered")

	requireRESTTooMany(t, restSend(ctx, t, http.MethodGet, watchURL, ""), "holds 3, the limit of watches per client")
	over, err := raw.Watch(ctx, &resourcev1.WatchRequest{Resource: configMapsGVR, Namespace: "default"})
	require.NoError(t, err)
	_, err = over.Recv()
	requireGRPCTooMany(t, err, "holds 3, the limit of watches per client")

	code, st := restDo(t, http.MethodGet, configMapsURL(cl), "", "")
	require.Equal(t, http.StatusOK, code, "lists are not watches: %v", st)

	require.NoError(t, rest[0].Body.Close())
	require.Eventually(t, func() bool {
		resp := restSend(ctx, t, http.MethodGet, watchURL, "")
		ok := resp.StatusCode == http.StatusOK
		if ok {
			rest[0] = resp
		} else {
			_ = resp.Body.Close()
		}
		return ok
	}, 10*time.Second, 20*time.Millisecond, "a closed watch frees its place")
	for _, r := range rest {
		_ = r.Body.Close()
	}
}

// TestConcurrentPatchesWithoutResourceVersionAllApply sends 50 patches that pin no
// resourceVersion to one object at once, over REST and over gRPC: each lost race is retried, so
// all of them apply.
func TestConcurrentPatchesWithoutResourceVersionAllApply(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	raw := resourceClient(t, cl)
	const n = 50
	for _, edge := range []string{"REST", "gRPC"} {
		t.Run(edge, func(t *testing.T) {
			name := "contended-" + strings.ToLower(edge)
			createConfigMap(t, cl, name, "v")
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					patch := fmt.Sprintf(`{"data":{"key-%02d":"%d"}}`, i, i)
					if edge == "gRPC" {
						_, err := raw.Patch(ctx, &resourcev1.PatchRequest{Resource: configMapsGVR, Namespace: "default", Name: name,
							PatchType: "application/merge-patch+json", Patch: []byte(patch)})
						errs <- err
						return
					}
					req, err := http.NewRequestWithContext(ctx, http.MethodPatch, configMapsURL(cl)+"/"+name, strings.NewReader(patch))
					if err != nil {
						errs <- err
						return
					}
					req.Header.Set("Content-Type", "application/merge-patch+json")
					resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
					if err != nil {
						errs <- err
						return
					}
					b, _ := io.ReadAll(resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("patch %d: %d %s", i, resp.StatusCode, b)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			code, st := restDo(t, http.MethodGet, configMapsURL(cl)+"/"+name, "", "")
			require.Equal(t, http.StatusOK, code, st)
			data, _ := st["data"].(map[string]any)
			require.Len(t, data, n+1, "every patch's key and the original one")
			for i := range n {
				require.Equal(t, fmt.Sprint(i), data[fmt.Sprintf("key-%02d", i)])
			}
		})
	}
}

// TestWatchFromTheFutureWithAShortTimeout starts watches from a resourceVersion far ahead of the
// store with timeoutSeconds under the 3 s the apiserver waits for it: the answer is the same
// Timeout as without the parameter (504, DeadlineExceeded), not an internal error.
func TestWatchFromTheFutureWithAShortTimeout(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	const future = "999999999"
	for _, params := range []string{"&timeoutSeconds=1", "&timeoutSeconds=2", ""} {
		t.Run("REST"+params, func(t *testing.T) {
			code, st := restDo(t, http.MethodGet, configMapsURL(cl)+"?watch=true&resourceVersion="+future+params, "", "")
			require.Equal(t, http.StatusGatewayTimeout, code, st)
			require.Equal(t, "Timeout", st["reason"])
			require.Contains(t, st["message"], "Too large resource version")
		})
	}
	t.Run("gRPC", func(t *testing.T) {
		stream, err := resourceClient(t, cl).Watch(ctx, &resourcev1.WatchRequest{Resource: configMapsGVR, Namespace: "default",
			ResourceVersion: future, TimeoutSeconds: 1})
		require.NoError(t, err)
		_, err = stream.Recv()
		st := status.Convert(err)
		require.Equal(t, codes.DeadlineExceeded, st.Code(), "got %v", err)
		require.Contains(t, st.Message(), "Too large resource version")
		var reason string
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				reason = info.GetReason()
			}
		}
		require.Equal(t, "Timeout", reason, "the server's Timeout, not a bare context error")
	})
}
