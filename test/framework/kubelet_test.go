package framework

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// TestKubeletHTTPClient calls HTTPClient many times, from several goroutines at once, against a
// stand-in for the kubelet API that requires a client certificate of the cluster CA: every client
// presents the apiserver's, and once the first call has read the key pair, removing it from disk
// changes nothing.
func TestKubeletHTTPClient(t *testing.T) {
	dir := t.TempDir()
	p, err := clusterpki.Generate(clusterpki.Spec{Dir: filepath.Join(dir, "pki"), KubeconfigDir: dir,
		Server: "https://127.0.0.1:6443", ServiceCIDR: "127.96.0.0/16"})
	if err != nil {
		t.Fatalf("cluster PKI: %v", err)
	}
	serving, err := p.CA.Issue(pki.ServingSpec("node", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}))
	if err != nil {
		t.Fatalf("serving certificate: %v", err)
	}
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	api.TLS = &tls.Config{Certificates: []tls.Certificate{serving.TLSCertificate()}, ClientCAs: p.CA.Pool(),
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	// Requests from several goroutines at once make the transport dial connections it may not use
	// in the end; the server reports those closed mid-handshake when it stops. Failures that
	// matter show as the clients' errors.
	api.Config.ErrorLog = log.New(io.Discard, "", 0)
	api.StartTLS()
	t.Cleanup(api.Close)

	k := &Kubelet{Running: &Running{tb: t}, Config: server.Config{TLSCertFile: "set"}, cluster: &Cluster{pki: p}}
	get := func(tb testing.TB) error {
		tb.Helper()
		resp, err := k.HTTPClient(tb).Get(api.URL) //nolint:noctx // loopback test server
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || string(b) != clusterpki.APIServer.User {
			return fmt.Errorf("status %d, client %q; want 200, %q", resp.StatusCode, b, clusterpki.APIServer.User)
		}
		return nil
	}
	if err := get(t); err != nil {
		t.Fatalf("first request: %v", err)
	}
	for _, f := range []string{p.CertFile(clusterpki.APIServerClientName), p.KeyFile(clusterpki.APIServerClientName)} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}

	const workers, requests = 8, 10
	fake := &fakeTB{TB: t}
	errs := make(chan error, workers*requests)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range requests {
				if err := get(fake); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, e := range fake.errors {
		t.Error(e)
	}
	if c1, c2 := k.HTTPClient(t), k.HTTPClient(t); c1 == c2 || c1.Transport != c2.Transport {
		t.Fatal("HTTPClient returned the same client twice or clients of different transports")
	}
}
