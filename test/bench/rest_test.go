package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/test/framework"
)

// restPodJSON is benchPod as a Kubernetes JSON manifest.
func restPodJSON(name string) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"labels":{"app":"bench"}},`+
		`"spec":{"containers":[{"name":"app","image":"registry.local/bench:1.0","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`, name)
}

// restCall sends one REST request and fails unless it answers want.
func restCall(ctx context.Context, hc *http.Client, method, url string, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return nil
}

// BenchmarkRESTNextToGRPC measures pod creates, gets and lists of 1,000 pods per second through
// the REST edge (JSON, as kubectl and client-go send it) and through the gRPC API, against the same
// apiserver in the same run, at concurrency 10, and reports REST's rate as a fraction of gRPC's.
func BenchmarkRESTNextToGRPC(b *testing.B) {
	const n, lists, conc = 1000, 50, 10
	cl := framework.StartCluster(b, framework.Options{APIServers: 1})
	addr := cl.APIServer(0).Addr().String()
	c := cl.Client(addr)
	// Both edges over TLS as the admin, as kubectl and the gRPC client reach the secure apiserver.
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, TLSClientConfig: cl.AdminTLSConfig()}}
	defer hc.CloseIdleConnections()
	ctx := context.Background()
	base := "https://" + addr + "/api/v1/namespaces/"
	grpcNS, restNS := "default", "kube-public"

	rates := map[string]float64{}
	rates["grpc-creates/s"] = run(b, n, conc, func(i int) error {
		_, err := c.Pods(grpcNS).Create(ctx, benchPod(fmt.Sprintf("p%d", i)))
		return err
	})
	rates["rest-creates/s"] = run(b, n, conc, func(i int) error {
		return restCall(ctx, hc, http.MethodPost, base+restNS+"/pods", restPodJSON(fmt.Sprintf("p%d", i)), http.StatusCreated)
	})
	rates["grpc-gets/s"] = run(b, n, conc, func(i int) error {
		_, err := c.Pods(grpcNS).Get(ctx, fmt.Sprintf("p%d", i))
		return err
	})
	rates["rest-gets/s"] = run(b, n, conc, func(i int) error {
		return restCall(ctx, hc, http.MethodGet, base+restNS+"/pods/"+fmt.Sprintf("p%d", i), nil, http.StatusOK)
	})
	rates["grpc-lists/s"] = run(b, lists, conc, func(int) error {
		l, err := c.Pods(grpcNS).List(ctx, client.ListOptions{})
		if err == nil && len(l.Items) != n {
			err = fmt.Errorf("gRPC list returned %d pods, want %d", len(l.Items), n)
		}
		return err
	})
	rates["rest-lists/s"] = run(b, lists, conc, func(int) error {
		return restCall(ctx, hc, http.MethodGet, base+restNS+"/pods", nil, http.StatusOK)
	})
	for name, r := range rates {
		b.ReportMetric(r, name)
	}
	for _, verb := range []string{"creates", "gets", "lists"} {
		b.ReportMetric(rates["rest-"+verb+"/s"]/rates["grpc-"+verb+"/s"], "rest/grpc-"+verb)
	}
	b.ReportMetric(0, "ns/op")
}
