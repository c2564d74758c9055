package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
)

// TestServeTLS runs the apiserver with a serving certificate, a client CA and the plain-text
// loopback port, and reaches it with the admin's kubeconfig over gRPC and REST.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	pki, err := clusterpki.Generate(clusterpki.Spec{Dir: filepath.Join(dir, "pki"), KubeconfigDir: dir, Server: "https://127.0.0.1:6443"})
	require.NoError(t, err)
	cfg := servertest.Config(t)
	cfg.TLSCertFile, cfg.TLSPrivateKeyFile = pki.CertFile(clusterpki.APIServerName), pki.KeyFile(clusterpki.APIServerName)
	cfg.ClientCAFile = pki.CertFile(clusterpki.CAName)
	cfg.InsecurePort = 0
	srv := servertest.StartConfig(t, cfg, zap.NewNop())
	addr := srv.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("gRPC with the admin kubeconfig", func(t *testing.T) {
		c, err := config.APIClient{Kubeconfig: pki.Kubeconfig(clusterpki.AdminName), APIServers: []string{addr}}.NewClient("test", zap.NewNop())
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		ns, err := c.Namespaces().List(ctx, client.ListOptions{})
		require.NoError(t, err)
		require.NotEmpty(t, ns.Items)
	})
	t.Run("gRPC in plain text to the TLS port fails", func(t *testing.T) {
		c, err := client.New(client.Config{Endpoints: []string{addr}, Retries: 1, RetryBackoff: time.Millisecond})
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = c.Namespaces().List(short, client.ListOptions{})
		require.Error(t, err)
	})
	t.Run("REST with the admin's certificate", func(t *testing.T) {
		r, err := config.APIClient{Kubeconfig: pki.Kubeconfig(clusterpki.AdminName)}.ClientConfig()
		require.NoError(t, err)
		body := get(ctx, t, &http.Client{Transport: &http.Transport{TLSClientConfig: r.TLS}}, "https://"+addr+"/api/v1/namespaces")
		require.Contains(t, body, `"kind":"NamespaceList"`)
	})
	t.Run("REST without the cluster CA fails", func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/api", nil)
		require.NoError(t, err)
		_, err = hc.Do(req) //nolint:bodyclose // it fails
		require.ErrorContains(t, err, "certificate signed by unknown authority")
	})
	t.Run("the plain-text port serves loopback", func(t *testing.T) {
		require.NotNil(t, srv.InsecureAddr())
		body := get(ctx, t, http.DefaultClient, "http://"+srv.InsecureAddr().String()+"/api/v1/namespaces")
		require.Contains(t, body, `"kind":"NamespaceList"`)
		c, err := client.New(client.Config{Endpoints: []string{srv.InsecureAddr().String()}})
		require.NoError(t, err)
		defer func() { _ = c.Close() }()
		_, err = c.Namespaces().Get(ctx, "default")
		require.NoError(t, err)
	})
}

func get(ctx context.Context, t *testing.T, hc *http.Client, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

func TestValidateTLSFlags(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*server.Config)
		wantErr string
	}{
		{name: "cert without key", mutate: func(c *server.Config) { c.TLSCertFile = "a.crt" }, wantErr: "--tls-cert-file and --tls-private-key-file: set both or neither"},
		{name: "client CA on a plain-text port", mutate: func(c *server.Config) { c.ClientCAFile, c.ServePlainText = "ca.crt", true },
			wantErr: "--client-ca-file: needs TLS, and the port serves plain text"},
		{name: "no certificate and nowhere to generate one", mutate: func(c *server.Config) { c.CertDir = "" },
			wantErr: "--cert-dir: required without --tls-cert-file"},
		{name: "plain-text port on every address", mutate: func(c *server.Config) { c.InsecurePort, c.InsecureBindAddress = 8080, "0.0.0.0" },
			wantErr: `--insecure-bind-address: "0.0.0.0" is not a loopback address`},
		{name: "plain-text port on a host name", mutate: func(c *server.Config) { c.InsecurePort, c.InsecureBindAddress = 0, "localhost" },
			wantErr: "is not a loopback address"},
		{name: "plain-text port out of range", mutate: func(c *server.Config) { c.InsecurePort = -2 }, wantErr: "--insecure-port: -2 out of range"},
		{name: "kubelet client cert without key", mutate: func(c *server.Config) { c.KubeletClientCertificate = "a.crt" },
			wantErr: "--kubelet-client-certificate and --kubelet-client-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := server.DefaultConfig()
			tt.mutate(&cfg)
			require.ErrorContains(t, cfg.Validate(), tt.wantErr)
		})
	}
	cfg := server.DefaultConfig()
	cfg.InsecurePort, cfg.InsecureBindAddress = 0, "::1"
	require.NoError(t, cfg.Validate())
}

// TestServeTLSWithASelfSignedCertificateByDefault runs the apiserver as its defaults have it, with
// no --tls-cert-file: it serves TLS with a certificate it generated in --cert-dir for loopback and
// the kubernetes Service's names, keeps that certificate across a restart, answers nothing in
// plain text, and refuses an anonymous request for a resource (401) while serving the health
// paths.
func TestServeTLSWithASelfSignedCertificateByDefault(t *testing.T) {
	certDir := t.TempDir()
	cfg := server.DefaultConfig()
	cfg.Port = 0
	cfg.DataDir, cfg.EtcdClientPort, cfg.EtcdPeerPort, cfg.EtcdUnsafeNoFsync = t.TempDir(), 0, 0, true
	cfg.CompactionInterval = 0
	cfg.CertDir = certDir
	require.Equal(t, []string{server.ModeNode, server.ModeRBAC}, cfg.AuthorizationModes)

	certFile := filepath.Join(certDir, "apiserver.crt")
	var first []byte
	t.Run("first start", func(t *testing.T) {
		addr := servertest.StartConfig(t, cfg, zap.NewNop()).Addr().String()
		var err error
		first, err = os.ReadFile(certFile)
		require.NoError(t, err)
		pool := x509.NewCertPool()
		require.True(t, pool.AppendCertsFromPEM(first))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		defer hc.CloseIdleConnections()
		require.Equal(t, "ok", get(ctx, t, hc, "https://"+addr+"/readyz"))
		_, port, _ := net.SplitHostPort(addr)
		for _, host := range []string{"localhost", "127.0.0.1"} {
			require.Equal(t, "ok", get(ctx, t, hc, "https://"+net.JoinHostPort(host, port)+"/livez"), "the certificate names %s", host)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/api/v1/namespaces/default/secrets", nil)
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))

		plainReq, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		require.NoError(t, err)
		if resp, err := http.DefaultClient.Do(plainReq); err == nil {
			_ = resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "plain HTTP to the TLS port is refused")
		}
	})
	t.Run("restart", func(t *testing.T) {
		servertest.StartConfig(t, cfg, zap.NewNop())
		second, err := os.ReadFile(certFile)
		require.NoError(t, err)
		require.Equal(t, string(first), string(second), "a restart keeps the generated certificate")
	})
}
