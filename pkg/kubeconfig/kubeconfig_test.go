package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/pki"
)

func TestRoundTripWithFiles(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("ca", 0)
	require.NoError(t, err)
	kp, err := ca.Issue(pki.ClientSpec("keelson-admin", "system:masters"))
	require.NoError(t, err)
	require.NoError(t, pki.WriteKeyPair(&ca.KeyPair, filepath.Join(dir, "pki", "ca.crt"), filepath.Join(dir, "pki", "ca.key")))
	require.NoError(t, pki.WriteKeyPair(kp, filepath.Join(dir, "pki", "admin.crt"), filepath.Join(dir, "pki", "admin.key")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte("abc.def\n"), 0o600))

	// Relative paths are the file's directory's, as kubectl reads them.
	cfg := New("keelson",
		Cluster{Server: "https://127.0.0.1:6443,https://[::1]", CertificateAuthority: "pki/ca.crt", TLSServerName: "kubernetes"},
		AuthInfo{ClientCertificate: "pki/admin.crt", ClientKey: "pki/admin.key", TokenFile: "token"})
	cfg.Contexts[0].Context.Namespace = "team"
	file := filepath.Join(dir, "kubeconfig")
	require.NoError(t, Write(cfg, file))
	st, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	back, err := Load(file)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "pki", "ca.crt"), back.Clusters[0].Cluster.CertificateAuthority)
	r, err := back.Resolve("")
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:6443", "[::1]:443"}, r.Endpoints)
	require.True(t, r.Secure)
	require.Equal(t, "abc.def", r.Token)
	require.Equal(t, "team", r.Namespace)
	require.Equal(t, "kubernetes", r.TLS.ServerName)
	require.True(t, r.TLS.Certificates[0].Leaf.Equal(kp.Cert))
	cc := r.ClientConfig()
	require.Equal(t, r.Endpoints, cc.Endpoints)
	require.Equal(t, "abc.def", cc.BearerToken)
	require.Same(t, r.TLS, cc.TLS)
	// Errors name where the CA and the credentials come from.
	want := client.Source{
		CA:   `certificate-authority ` + filepath.Join(dir, "pki", "ca.crt") + ` of cluster "keelson"`,
		User: `user "keelson" (client-certificate ` + filepath.Join(dir, "pki", "admin.crt") + `, tokenFile ` + filepath.Join(dir, "token") + `)`,
	}
	require.Equal(t, want, cc.Source)
	in := r.InFile(file).ClientConfig().Source
	require.Equal(t, want.CA+" in kubeconfig "+file, in.CA)
	require.Equal(t, want.User+" in kubeconfig "+file, in.User)
}

func TestEmbeddedData(t *testing.T) {
	ca, err := pki.NewCA("ca", 0)
	require.NoError(t, err)
	kp, err := ca.Issue(pki.ClientSpec("u"))
	require.NoError(t, err)
	key, err := pki.EncodeKey(kp.Key)
	require.NoError(t, err)
	cfg := New("c", Cluster{Server: "https://localhost:6443", CertificateAuthorityData: pki.EncodeCert(ca.Cert)},
		AuthInfo{ClientCertificateData: pki.EncodeCert(kp.Cert), ClientKeyData: key})
	file := filepath.Join(t.TempDir(), "kc")
	require.NoError(t, Write(cfg, file))
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(data), "certificate-authority-data: ")
	require.Contains(t, string(data), "current-context: c")
	back, err := Load(file)
	require.NoError(t, err)
	require.Equal(t, cfg, back)
	r, err := back.Resolve("c")
	require.NoError(t, err)
	require.NotNil(t, r.TLS.RootCAs)
	require.Equal(t, "", r.TLS.ServerName)
	require.Equal(t, client.Source{CA: `certificate-authority-data of cluster "c"`, User: `user "c" (client-certificate-data)`}, r.Source)
}

func TestResolveErrors(t *testing.T) {
	good := func() *Config {
		return New("c", Cluster{Server: "https://127.0.0.1:6443"}, AuthInfo{})
	}
	tests := []struct {
		name    string
		edit    func(c *Config)
		context string
		wantErr string
	}{
		{name: "no current context", edit: func(c *Config) { c.CurrentContext = "" }, wantErr: "no current-context"},
		{name: "unknown context", context: "x", wantErr: `context "x" not found`},
		{name: "unknown cluster", edit: func(c *Config) { c.Contexts[0].Context.Cluster = "x" }, wantErr: `cluster "x" not found`},
		{name: "unknown user", edit: func(c *Config) { c.Contexts[0].Context.User = "x" }, wantErr: `user "x" not found`},
		{name: "no server", edit: func(c *Config) { c.Clusters[0].Cluster.Server = "" }, wantErr: "server is empty"},
		{name: "bad scheme", edit: func(c *Config) { c.Clusters[0].Cluster.Server = "ftp://h" }, wantErr: "scheme must be https or http"},
		{name: "mixed schemes", edit: func(c *Config) { c.Clusters[0].Cluster.Server = "https://a:1,http://b:2" }, wantErr: "every server must use https"},
		{name: "no host", edit: func(c *Config) { c.Clusters[0].Cluster.Server = "https://:6443" }, wantErr: "has no host"},
		{name: "missing CA file", edit: func(c *Config) { c.Clusters[0].Cluster.CertificateAuthority = "/nonexistent/ca.crt" }, wantErr: "certificate-authority"},
		{name: "bad CA data", edit: func(c *Config) { c.Clusters[0].Cluster.CertificateAuthorityData = []byte("junk") }, wantErr: "no PEM certificate"},
		{name: "cert without key", edit: func(c *Config) { c.Users[0].User.ClientCertificateData = []byte("x") }, wantErr: "client-certificate without client-key"},
		{name: "key without cert", edit: func(c *Config) { c.Users[0].User.ClientKeyData = []byte("x") }, wantErr: "client-key without client-certificate"},
		{name: "missing token file", edit: func(c *Config) { c.Users[0].User.TokenFile = "/nonexistent/token" }, wantErr: "tokenFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			if tt.edit != nil {
				tt.edit(c)
			}
			_, err := c.Resolve(tt.context)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	_, err := Parse([]byte("kind: Pod\n"))
	require.ErrorContains(t, err, `kind "Pod" is not Config`)
	_, err = Load(filepath.Join(t.TempDir(), "none"))
	require.ErrorContains(t, err, "read kubeconfig")
}

func TestPlainHTTPServer(t *testing.T) {
	r, err := New("c", Cluster{Server: "http://127.0.0.1:8080"}, AuthInfo{}).Resolve("")
	require.NoError(t, err)
	require.False(t, r.Secure)
	require.Nil(t, r.TLS)
	require.Equal(t, []string{"127.0.0.1:8080"}, r.Endpoints)
}
