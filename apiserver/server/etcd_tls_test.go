package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/internal/embedetcd"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
)

// etcdGet reads a key through a new client of url with tlsCfg and returns the error, within a
// short bound: a refused client fails its handshake at once, so the bound only caps a hang.
func etcdGet(t *testing.T, url string, tlsCfg *tls.Config) error {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, TLS: tlsCfg, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cli.Get(ctx, "/registry/secrets/", clientv3.WithPrefix())
	return err
}

// clientTLS returns a configuration trusting the CA at caFile, showing the pair at certFile and
// keyFile when they are set.
func clientTLS(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(pem))
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg
}

// TestEmbeddedEtcdAdmitsOnlyClientsWithItsCertificate starts an apiserver on its embedded etcd and
// reaches for the member's client port as a local user would: plain, over TLS without a
// certificate, and with a certificate of another CA are all refused; the generated client
// certificate is admitted; the apiserver itself works.
func TestEmbeddedEtcdAdmitsOnlyClientsWithItsCertificate(t *testing.T) {
	cfg := servertest.Config(t)
	srv := servertest.StartConfig(t, cfg, zap.NewNop())
	url := srv.EmbeddedEtcdURL()
	require.True(t, strings.HasPrefix(url, "https://127.0.0.1:"), url)
	pki := filepath.Join(cfg.DataDir, "pki")
	ca := filepath.Join(pki, embedetcd.CAFile)

	other, err := embedetcd.GeneratePKI(filepath.Join(t.TempDir(), "other"), time.Now())
	require.NoError(t, err)
	otherDir := filepath.Dir(other.CertFile)

	refused := []struct {
		name string
		url  string
		tls  *tls.Config
	}{
		{"plain", "http://" + strings.TrimPrefix(url, "https://"), nil},
		{"TLS without a certificate", url, clientTLS(t, ca, "", "")},
		{"a certificate of another CA", url, clientTLS(t, ca,
			filepath.Join(otherDir, embedetcd.ClientCertFile), filepath.Join(otherDir, embedetcd.ClientKeyFile))},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			require.Error(t, etcdGet(t, c.url, c.tls))
		})
	}
	t.Run("the apiserver's client certificate", func(t *testing.T) {
		require.NoError(t, etcdGet(t, url, clientTLS(t, ca,
			filepath.Join(pki, embedetcd.ClientCertFile), filepath.Join(pki, embedetcd.ClientKeyFile))))
	})

	body := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"still-works"},"data":{"a":"b"}}`
	resp, err := http.Post("http://"+srv.Addr().String()+"/api/v1/namespaces/default/configmaps", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

// TestExternalEtcdOverTLS runs an apiserver against an etcd that demands client certificates:
// with --etcd-cafile, --etcd-certfile and --etcd-keyfile it serves; without the certificate it
// fails to start, naming etcd.
func TestExternalEtcdOverTLS(t *testing.T) {
	dir := t.TempDir()
	files, err := embedetcd.GeneratePKI(filepath.Join(dir, "pki"), time.Now())
	require.NoError(t, err)
	e, err := embedetcd.Start(embedetcd.Config{Dir: filepath.Join(dir, "etcd"), UnsafeNoFsync: true, ClientTLS: &files})
	require.NoError(t, err)
	t.Cleanup(e.Close)
	url := embedetcd.ClientURL(e)
	require.True(t, strings.HasPrefix(url, "https://"), url)

	base := servertest.Config(t)
	base.DataDir, base.EtcdServers, base.EtcdCAFile = "", []string{url}, files.TrustedCAFile

	t.Run("without a client certificate", func(t *testing.T) {
		srv, err := server.New(base, zap.NewNop())
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		require.ErrorContains(t, srv.Run(ctx), "etcd")
	})
	t.Run("with the client certificate", func(t *testing.T) {
		cfg := base
		pki := filepath.Dir(files.CertFile)
		cfg.EtcdCertFile, cfg.EtcdKeyFile = filepath.Join(pki, embedetcd.ClientCertFile), filepath.Join(pki, embedetcd.ClientKeyFile)
		srv := servertest.StartConfig(t, cfg, zap.NewNop())
		require.Empty(t, srv.EmbeddedEtcdURL())
		resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})
}
