package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// tlsKubelet is a kubelet log endpoint over TLS on loopback that records its callers' names.
type tlsKubelet struct {
	port    int
	mu      sync.Mutex
	callers []string
}

func startTLSKubelet(t *testing.T, kp *pki.KeyPair, clientCA *pki.CA) *tlsKubelet {
	t.Helper()
	k := &tlsKubelet{}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp.TLSCertificate()}}
	if clientCA != nil {
		cfg.ClientCAs, cfg.ClientAuth = clientCA.Pool(), tls.RequireAndVerifyClientCert
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.mu.Lock()
		k.callers = append(k.callers, r.TLS.PeerCertificates[0].Subject.CommonName)
		k.mu.Unlock()
		_, _ = io.WriteString(w, "log line\n")
	})}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	k.port = ln.Addr().(*net.TCPAddr).Port
	return k
}

// TestPodLogVerifiesTheKubelet proxies pods/log to two kubelets: one whose serving certificate the
// cluster CA signed gets the apiserver's client certificate and answers; one with a self-signed
// certificate is refused with a clear error.
func TestPodLogVerifiesTheKubelet(t *testing.T) {
	dir := t.TempDir()
	cp, err := clusterpki.Generate(clusterpki.Spec{Dir: filepath.Join(dir, "pki"), KubeconfigDir: dir, Server: "https://127.0.0.1:6443"})
	require.NoError(t, err)
	serving, err := cp.CA.Issue(pki.ServingSpec("good", []string{"good"}, []net.IP{net.ParseIP("127.0.0.1")}))
	require.NoError(t, err)
	good := startTLSKubelet(t, serving, cp.CA)
	selfSigned, err := pki.SelfSigned("rogue", []string{"rogue"}, []net.IP{net.ParseIP("127.0.0.1")}, 0)
	require.NoError(t, err)
	rogue := startTLSKubelet(t, selfSigned, nil)

	cfg := servertest.Config(t)
	cfg.TLSCertFile, cfg.TLSPrivateKeyFile = cp.CertFile(clusterpki.APIServerName), cp.KeyFile(clusterpki.APIServerName)
	cfg.ClientCAFile = cp.CertFile(clusterpki.CAName)
	cfg.KubeletCertificateAuthority = cp.CertFile(clusterpki.CAName)
	cfg.KubeletClientCertificate, cfg.KubeletClientKey = cp.CertFile(clusterpki.APIServerClientName), cp.KeyFile(clusterpki.APIServerClientName)
	srv := servertest.StartConfig(t, cfg, zap.NewNop())
	base := "https://" + srv.Addr().String()
	admin, err := config.APIClient{Kubeconfig: cp.Kubeconfig(clusterpki.AdminName)}.ClientConfig()
	require.NoError(t, err)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: admin.TLS}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	do := func(method, path, body string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	for name, port := range map[string]int{"good": good.port, "rogue": rogue.port} {
		code, body := do(http.MethodPost, "/api/v1/nodes", fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":%q},
			"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":%d}}}}`, name, port))
		require.Equal(t, http.StatusCreated, code, body)
		code, body = do(http.MethodPost, "/api/v1/namespaces/default/pods", fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"on-%s"},
			"spec":{"nodeName":%q,"containers":[{"name":"c","image":"busybox"}]}}`, name, name))
		require.Equal(t, http.StatusCreated, code, body)
	}

	code, body := do(http.MethodGet, "/api/v1/namespaces/default/pods/on-good/log", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "log line\n", body)
	good.mu.Lock()
	require.Equal(t, []string{clusterpki.APIServer.User}, good.callers)
	good.mu.Unlock()

	code, body = do(http.MethodGet, "/api/v1/namespaces/default/pods/on-rogue/log", "")
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.Contains(t, body, `refusing the kubelet of node \"rogue\"`)
	require.Contains(t, body, "certificate signed by unknown authority")
	rogue.mu.Lock()
	require.Empty(t, rogue.callers)
	rogue.mu.Unlock()
}
