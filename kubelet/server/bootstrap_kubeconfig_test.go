package server

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/kubelet/internal/certificate"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// nodeCertFile writes a client certificate and key for user into one PEM file, as the certificate
// store keeps them, and returns the pair.
func nodeCertFile(t *testing.T, ca *pki.CA, user, file string) *pki.KeyPair {
	t.Helper()
	kp, err := ca.Issue(pki.ClientSpec(user, "system:nodes"))
	require.NoError(t, err)
	key, err := pki.EncodeKey(kp.Key)
	require.NoError(t, err)
	_, err = certificate.Store{Dir: filepath.Dir(file)}.Save(pki.EncodeCert(kp.Cert), key)
	require.NoError(t, err)
	return kp
}

// TestUsableKubeconfig checks when a bootstrapping kubelet uses --kubeconfig as it is and when it
// bootstraps and writes the file anew, as Kubernetes' kubelet decides.
func TestUsableKubeconfig(t *testing.T) {
	dir, ca, caFile := testCA(t)
	certFile := certificate.Store{Dir: filepath.Join(dir, "pki")}.Path()
	kp := nodeCertFile(t, ca, "system:node:n1", certFile)
	nb, na := kp.Cert.NotBefore, kp.Cert.NotAfter
	now := nb.Add(time.Minute)

	write := func(t *testing.T, cluster kubeconfig.Cluster, user kubeconfig.AuthInfo) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "kubelet.conf")
		require.NoError(t, kubeconfig.Write(kubeconfig.New("c", cluster, user), path))
		return path
	}
	https := kubeconfig.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthority: caFile}
	node := kubeconfig.AuthInfo{ClientCertificate: certFile, ClientKey: certFile}
	garbage := filepath.Join(dir, "garbage.conf")
	require.NoError(t, os.WriteFile(garbage, []byte("clusters: [[["), 0o600))

	cases := []struct {
		name    string
		path    string
		now     time.Time
		usable  bool
		why     string
		wantErr string
	}{
		{name: "valid", path: write(t, https, node), now: now, usable: true},
		{name: "embedded CA and certificate", path: write(t,
			kubeconfig.Cluster{Server: https.Server, CertificateAuthorityData: pki.EncodeCert(ca.Cert)},
			kubeconfig.AuthInfo{ClientCertificateData: pki.EncodeCert(kp.Cert), ClientKeyData: mustEncodeKey(t, kp)}), now: now, usable: true},
		{name: "missing", path: filepath.Join(dir, "none.conf"), now: now, why: "it does not exist"},
		{name: "certificate expired", path: write(t, https, node), now: na, why: "its client certificate is valid from"},
		{name: "certificate not yet valid", path: write(t, https, node), now: nb.Add(-time.Second), why: "its client certificate is valid from"},
		{name: "token only", path: write(t, https, kubeconfig.AuthInfo{Token: "abcdef.0123456789abcdef"}), now: now, why: "it names no client certificate"},
		{name: "no CA", path: write(t, kubeconfig.Cluster{Server: https.Server}, node), now: now, why: "it names no certificate-authority"},
		{name: "plain text", path: write(t, kubeconfig.Cluster{Server: "http://127.0.0.1:8080"}, node), now: now, why: "its server is not https"},
		{name: "certificate file gone", path: write(t, https, kubeconfig.AuthInfo{
			ClientCertificate: filepath.Join(dir, "gone.pem"), ClientKey: filepath.Join(dir, "gone.pem")}), now: now, why: "gone.pem"},
		{name: "does not parse", path: garbage, now: now, why: "decode"},
		{name: "cannot be looked at", path: filepath.Join(garbage, "kubelet.conf"), now: now,
			wantErr: "make it readable by the kubelet, or remove it to bootstrap again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, why, err := usableKubeconfig(tc.path, tc.now)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.ErrorContains(t, err, tc.path, "the error names the file")
				return
			}
			require.NoError(t, err)
			if !tc.usable {
				require.Nil(t, r)
				require.Contains(t, why, tc.why)
				return
			}
			require.NotNil(t, r, why)
			require.Empty(t, why)
			require.True(t, r.TLS.Certificates[0].Leaf.Equal(kp.Cert))
		})
	}
}

func mustEncodeKey(t *testing.T, kp *pki.KeyPair) []byte {
	t.Helper()
	key, err := pki.EncodeKey(kp.Key)
	require.NoError(t, err)
	return key
}

// TestWriteNodeKubeconfig writes the kubeconfig a bootstrap leaves behind and checks that it
// reaches the bootstrap kubeconfig's cluster, trusts its CA without needing its file, presents
// the certificate store's current file, stays usable when that file is renewed, and replaces an
// expired kubeconfig without leaving a temporary file behind.
func TestWriteNodeKubeconfig(t *testing.T) {
	dir, ca, _ := testCA(t)
	bootstrap := filepath.Join(dir, "bootstrap.conf")
	require.NoError(t, kubeconfig.Write(kubeconfig.New("keelson",
		kubeconfig.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthority: "ca.crt", TLSServerName: "kubernetes"},
		kubeconfig.AuthInfo{Token: "abcdef.0123456789abcdef"}), bootstrap))
	certFile := certificate.Store{Dir: filepath.Join(dir, "pki")}.Path()
	first := nodeCertFile(t, ca, "system:node:n1", certFile)

	out := filepath.Join(t.TempDir(), "etc", "kubelet.conf")
	// An expired kubeconfig from an earlier bootstrap is replaced.
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	require.NoError(t, os.WriteFile(out, []byte("stale"), 0o644))
	require.NoError(t, writeNodeKubeconfig(out, bootstrap, certFile))

	fi, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "readable by the kubelet only")
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	kc, err := kubeconfig.Load(out)
	require.NoError(t, err)
	cluster, err := kc.Cluster("")
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:6443", cluster.Server)
	require.Equal(t, "kubernetes", cluster.TLSServerName)
	require.Empty(t, cluster.CertificateAuthority, "the CA is embedded, not a file of the bootstrap kubeconfig's")
	require.Equal(t, pki.EncodeCert(ca.Cert), cluster.CertificateAuthorityData)
	require.Equal(t, []kubeconfig.NamedUser{{Name: nodeKubeconfigName,
		User: kubeconfig.AuthInfo{ClientCertificate: certFile, ClientKey: certFile}}}, kc.Users)
	require.NotContains(t, mustRead(t, out), "0123456789abcdef", "the bootstrap token is not copied")

	r, why, err := usableKubeconfig(out, time.Now())
	require.NoError(t, err)
	require.NotNil(t, r, why)
	require.True(t, r.TLS.Certificates[0].Leaf.Equal(first.Cert))

	// A renewal replaces the store's file: the kubeconfig presents the new certificate.
	second := nodeCertFile(t, ca, "system:node:n1", certFile)
	got, err := r.TLS.GetClientCertificate(nil)
	require.NoError(t, err)
	require.True(t, got.Leaf.Equal(second.Cert), "the renewed certificate is presented")
	r, _, err = usableKubeconfig(out, time.Now())
	require.NoError(t, err)
	require.True(t, r.TLS.Certificates[0].Leaf.Equal(second.Cert))

	// Errors name the file and what to do.
	err = writeNodeKubeconfig(filepath.Join(bootstrap, "kubelet.conf"), bootstrap, certFile)
	require.ErrorContains(t, err, "--kubeconfig: write "+filepath.Join(bootstrap, "kubelet.conf"))
	require.ErrorContains(t, err, "make its directory writable by the kubelet")
	err = writeNodeKubeconfig(out, filepath.Join(dir, "none.conf"), certFile)
	require.ErrorContains(t, err, "--bootstrap-kubeconfig")
	require.ErrorContains(t, err, "none.conf")
}

func mustRead(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return string(b)
}
