package server

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/pki"
)

func TestServingTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("cluster-ca", 0)
	require.NoError(t, err)
	kp, err := ca.Issue(pki.ServingSpec("n1", []string{"n1"}, []net.IP{net.ParseIP("127.0.0.1")}))
	require.NoError(t, err)
	certFile, keyFile, caFile := filepath.Join(dir, "k.crt"), filepath.Join(dir, "k.key"), filepath.Join(dir, "ca.crt")
	require.NoError(t, pki.WriteKeyPair(kp, certFile, keyFile))
	require.NoError(t, pki.WriteFile(caFile, pki.EncodeCert(ca.Cert), 0o644))

	newServer := func(mutate func(*Config)) *Server {
		cfg := DefaultConfig()
		cfg.HostnameOverride, cfg.NodeIP = "n1", "127.0.0.9"
		mutate(&cfg)
		return &Server{cfg: cfg, nodeName: "n1"}
	}
	t.Run("plain text without certificate or cert dir", func(t *testing.T) {
		cfg, err := newServer(func(*Config) {}).servingTLS()
		require.NoError(t, err)
		require.Nil(t, cfg)
	})
	t.Run("the given key pair, requiring client certificates of the CA", func(t *testing.T) {
		cfg, err := newServer(func(c *Config) {
			c.TLSCertFile, c.TLSPrivateKeyFile, c.ClientCAFile = certFile, keyFile, caFile
		}).servingTLS()
		require.NoError(t, err)
		require.True(t, cfg.Certificates[0].Leaf.Equal(kp.Cert))
		require.Equal(t, tls.RequireAndVerifyClientCert, cfg.ClientAuth)
		require.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	})
	t.Run("a self-signed certificate kept in the cert dir", func(t *testing.T) {
		certDir := filepath.Join(dir, "pki")
		s := newServer(func(c *Config) { c.CertDir = certDir })
		cfg, err := s.servingTLS()
		require.NoError(t, err)
		leaf := cfg.Certificates[0].Leaf
		for _, name := range []string{"n1", "localhost", "127.0.0.1", "::1", "127.0.0.9"} {
			require.NoError(t, leaf.VerifyHostname(name), name)
		}
		require.NoError(t, pki.Verify(leaf, leaf, x509.ExtKeyUsageServerAuth))
		require.ErrorContains(t, pki.Verify(leaf, ca.Cert, x509.ExtKeyUsageServerAuth), "unknown authority")
		again, err := s.servingTLS()
		require.NoError(t, err)
		require.True(t, again.Certificates[0].Leaf.Equal(leaf), "kept across restarts")
	})
	t.Run("a bad key pair", func(t *testing.T) {
		_, err := newServer(func(c *Config) { c.TLSCertFile, c.TLSPrivateKeyFile = caFile, keyFile }).servingTLS()
		require.ErrorContains(t, err, "--tls-cert-file/--tls-private-key-file")
	})
	t.Run("validation", func(t *testing.T) {
		c := DefaultConfig()
		c.HostnameOverride = "n1"
		c.TLSCertFile = certFile
		require.ErrorContains(t, c.Validate(), "--tls-cert-file and --tls-private-key-file: set both or neither")
		c.TLSCertFile, c.ClientCAFile = "", caFile
		require.ErrorContains(t, c.Validate(), "--client-ca-file: needs TLS")
	})
}
