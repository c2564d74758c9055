package clusterpki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	spec := Spec{
		Dir:                filepath.Join(dir, "pki"),
		KubeconfigDir:      dir,
		Server:             "https://127.0.0.1:6443",
		ServiceCIDR:        "127.96.0.0/16",
		AdvertiseAddresses: []string{"127.0.0.5"},
		ExtraSANs:          []string{"api.example", "127.0.0.1"},
		Nodes:              []string{"node-1"},
	}
	c, err := Generate(spec)
	require.NoError(t, err)

	serving, err := c.KeyPair(APIServerName)
	require.NoError(t, err)
	require.NoError(t, pki.Verify(serving.Cert, c.CA.Cert, x509.ExtKeyUsageServerAuth))
	for _, name := range []string{"127.0.0.1", "::1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local", "127.96.0.1", "127.0.0.5", "api.example"} {
		require.NoError(t, serving.Cert.VerifyHostname(name), name)
	}

	clients := []struct {
		name string
		id   Identity
	}{
		{AdminName, Admin}, {SchedulerName, Scheduler}, {ControllerManagerName, ControllerManager},
		{ProxyName, Proxy}, {APIServerClientName, APIServer}, {KubeletName("node-1"), Node("node-1")},
	}
	for _, tt := range clients {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := c.KeyPair(tt.name)
			require.NoError(t, err)
			require.NoError(t, pki.Verify(kp.Cert, c.CA.Cert, x509.ExtKeyUsageClientAuth))
			require.Equal(t, tt.id.User, kp.Cert.Subject.CommonName)
			require.Equal(t, tt.id.Groups, kp.Cert.Subject.Organization)
			st, err := os.Stat(c.KeyFile(tt.name))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			if tt.name == APIServerClientName {
				return
			}
			kc, err := kubeconfig.Load(c.Kubeconfig(tt.name))
			require.NoError(t, err)
			r, err := kc.Resolve("")
			require.NoError(t, err)
			require.Equal(t, []string{"127.0.0.1:6443"}, r.Endpoints)
			require.Len(t, r.TLS.Certificates, 1)
			require.True(t, r.TLS.Certificates[0].Leaf.Equal(kp.Cert))
			_, err = serving.Cert.Verify(x509.VerifyOptions{Roots: r.TLS.RootCAs, DNSName: "127.0.0.1"})
			require.NoError(t, err)
		})
	}
	require.FileExists(t, filepath.Join(dir, "kubeconfig"))
	kubelet, err := c.KeyPair(KubeletServingName("node-1"))
	require.NoError(t, err)
	require.NoError(t, pki.Verify(kubelet.Cert, c.CA.Cert, x509.ExtKeyUsageServerAuth))
	require.NoError(t, kubelet.Cert.VerifyHostname("127.0.0.1"))
	require.NoError(t, kubelet.Cert.VerifyHostname("node-1"))
	saKey, err := os.ReadFile(c.ServiceAccountKeyFile())
	require.NoError(t, err)
	_, err = pki.ParseKey(saKey)
	require.NoError(t, err)
	require.FileExists(t, c.ServiceAccountPublicKeyFile())

	t.Run("again keeps what fits", func(t *testing.T) {
		again, err := Generate(spec)
		require.NoError(t, err)
		require.True(t, again.CA.Cert.Equal(c.CA.Cert))
		kp, err := again.KeyPair(APIServerName)
		require.NoError(t, err)
		require.True(t, kp.Cert.Equal(serving.Cert))
		saAgain, err := os.ReadFile(again.ServiceAccountKeyFile())
		require.NoError(t, err)
		require.Equal(t, saKey, saAgain)
	})
	t.Run("a new name reissues the serving certificate under the same CA", func(t *testing.T) {
		more := spec
		more.ExtraSANs = append(more.ExtraSANs, "127.0.0.9")
		again, err := Generate(more)
		require.NoError(t, err)
		require.True(t, again.CA.Cert.Equal(c.CA.Cert))
		kp, err := again.KeyPair(APIServerName)
		require.NoError(t, err)
		require.False(t, kp.Cert.Equal(serving.Cert))
		require.NoError(t, kp.Cert.VerifyHostname("127.0.0.9"))
		require.True(t, kp.Cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")))
	})
}

func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		spec    Spec
		prepare func(t *testing.T)
		wantErr string
	}{
		{name: "no dir", spec: Spec{Server: "https://127.0.0.1:6443"}, wantErr: "no directory"},
		{name: "no server", spec: Spec{Dir: dir}, wantErr: "no server URL"},
		{name: "bad CIDR", spec: Spec{Dir: dir, Server: "https://127.0.0.1:6443", ServiceCIDR: "x"}, wantErr: "service CIDR"},
		{
			name: "unreadable CA is not replaced", spec: Spec{Dir: filepath.Join(dir, "bad"), Server: "https://127.0.0.1:6443"},
			prepare: func(t *testing.T) {
				t.Helper()
				require.NoError(t, pki.WriteFile(filepath.Join(dir, "bad", "ca.crt"), []byte("junk"), 0o644))
			},
			wantErr: "keep the existing CA",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prepare != nil {
				tt.prepare(t)
			}
			_, err := Generate(tt.spec)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
