package server

import (
	"crypto/tls"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// testCA makes a CA of an hour in a temporary directory, its certificate written as ca.crt, and
// returns the directory, the CA and the certificate's file.
func testCA(t *testing.T) (dir string, ca *pki.CA, caFile string) {
	t.Helper()
	dir = t.TempDir()
	ca, err := pki.NewCA("ca", time.Hour)
	require.NoError(t, err)
	caFile = filepath.Join(dir, "ca.crt")
	require.NoError(t, pki.WriteKeyPair(&ca.KeyPair, caFile, filepath.Join(dir, "ca.key")))
	return dir, ca, caFile
}

// TestBootstrapClientConfigs checks what each client of a bootstrapping kubelet presents: the
// bootstrap client the kubeconfig's CA and token, the certified client the same CA and only the
// kubelet's own certificate; against a plain-text server neither sends a credential.
func TestBootstrapClientConfigs(t *testing.T) {
	_, ca, caFile := testCA(t)
	kp, err := ca.Issue(pki.ClientSpec("system:node:n1", "system:nodes"))
	require.NoError(t, err)
	nodeCert := kp.TLSCertificate()
	getCert := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &nodeCert, nil }

	write := func(t *testing.T, server string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "bootstrap.kubeconfig")
		require.NoError(t, kubeconfig.Write(kubeconfig.New("keelson", kubeconfig.Cluster{Server: server, CertificateAuthority: caFile},
			kubeconfig.AuthInfo{Token: "abcdef.0123456789abcdef"}), path))
		return path
	}
	cases := []struct {
		name, server, endpoint string
		secure                 bool
	}{
		{"https", "https://127.0.0.1:6443", "127.0.0.1:6443", true},
		{"plain text", "http://127.0.0.1:8080", "127.0.0.1:8080", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, tc.server)
			boot, err := bootstrapClientConfig(path, nil, zap.NewNop())
			require.NoError(t, err)
			cert, err := certifiedClientConfig(path, nil, getCert, zap.NewNop())
			require.NoError(t, err)
			require.Equal(t, []string{tc.endpoint}, boot.Endpoints, "the kubeconfig's server")
			require.Equal(t, boot.Endpoints, cert.Endpoints)
			// --apiserver replaces the kubeconfig's servers, as it does for every daemon.
			given := []string{"127.0.0.11:6443", "127.0.0.12:6443"}
			bootGiven, err := bootstrapClientConfig(path, given, zap.NewNop())
			require.NoError(t, err)
			certGiven, err := certifiedClientConfig(path, given, getCert, zap.NewNop())
			require.NoError(t, err)
			require.Equal(t, given, bootGiven.Endpoints, "--apiserver in place of the kubeconfig's server")
			require.Equal(t, given, certGiven.Endpoints, "--apiserver in place of the kubeconfig's server")
			require.Empty(t, cert.BearerToken, "the certified client sends no token")
			if !tc.secure {
				require.Nil(t, boot.TLS)
				require.Nil(t, cert.TLS)
				require.Empty(t, boot.BearerToken, "no token in clear text")
				return
			}
			require.Equal(t, "abcdef.0123456789abcdef", boot.BearerToken)
			require.NotNil(t, boot.TLS.RootCAs)
			require.True(t, cert.TLS.RootCAs.Equal(boot.TLS.RootCAs), "both trust the kubeconfig's CA")
			require.Empty(t, cert.TLS.Certificates)
			require.NotNil(t, cert.TLS.GetClientCertificate)
			got, err := cert.TLS.GetClientCertificate(nil)
			require.NoError(t, err)
			require.Same(t, &nodeCert, got, "the kubelet's current certificate at each handshake")
		})
	}
}
