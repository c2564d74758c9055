package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/pki"
)

// TestCertificateFilesFollowTheFiles writes a client pair, then changes the files the ways a
// renewal does, and checks what CertificateFiles and a resolved kubeconfig present.
func TestCertificateFilesFollowTheFiles(t *testing.T) {
	ca, err := pki.NewCA("ca", time.Hour)
	require.NoError(t, err)
	issue := func(user string) *pki.KeyPair {
		kp, err := ca.Issue(pki.ClientSpec(user, "system:nodes"))
		require.NoError(t, err)
		return kp
	}
	// inPlace rewrites the files themselves rather than renaming new ones over them, and moves
	// their modification time on, as a coarse clock might not.
	inPlace := func(t *testing.T, kp *pki.KeyPair, certFile, keyFile string) {
		t.Helper()
		key, err := pki.EncodeKey(kp.Key)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(certFile, pki.EncodeCert(kp.Cert), 0o644))
		require.NoError(t, os.WriteFile(keyFile, key, 0o600))
		later := time.Now().Add(time.Minute)
		require.NoError(t, os.Chtimes(certFile, later, later))
		require.NoError(t, os.Chtimes(keyFile, later, later))
	}
	renamed := func(t *testing.T, kp *pki.KeyPair, certFile, keyFile string) {
		t.Helper()
		require.NoError(t, pki.WriteKeyPair(kp, certFile, keyFile))
	}
	cases := []struct {
		name  string
		write func(t *testing.T, kp *pki.KeyPair, certFile, keyFile string)
	}{
		{"renamed into place", renamed},
		{"rewritten in place", inPlace},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile := filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
			first := issue("system:node:first")
			require.NoError(t, pki.WriteKeyPair(first, certFile, keyFile))

			files, err := NewCertificateFiles(certFile, keyFile)
			require.NoError(t, err)
			cfg, err := New("keelson", Cluster{Server: "https://127.0.0.1:6443"},
				AuthInfo{ClientCertificate: certFile, ClientKey: keyFile}).Resolve("")
			require.NoError(t, err)
			require.NotNil(t, cfg.TLS.GetClientCertificate, "a pair in files is read at each handshake")
			presented := func(t *testing.T) (string, string) {
				t.Helper()
				a, err := files.GetClientCertificate(nil)
				require.NoError(t, err)
				b, err := cfg.TLS.GetClientCertificate(nil)
				require.NoError(t, err)
				return a.Leaf.Subject.CommonName, b.Leaf.Subject.CommonName
			}
			a, b := presented(t)
			require.Equal(t, "system:node:first", a)
			require.Equal(t, "system:node:first", b)
			require.Equal(t, "system:node:first", cfg.TLS.Certificates[0].Leaf.Subject.CommonName)

			tc.write(t, issue("system:node:second"), certFile, keyFile)
			a, b = presented(t)
			require.Equal(t, "system:node:second", a, "the renewed pair is read")
			require.Equal(t, "system:node:second", b)

			// A certificate whose key is not written yet: the last good pair stays.
			third := issue("system:node:third")
			require.NoError(t, os.WriteFile(certFile, pki.EncodeCert(third.Cert), 0o644))
			a, _ = presented(t)
			require.Equal(t, "system:node:second", a, "a half-written pair is not used")
			tc.write(t, third, certFile, keyFile)
			a, _ = presented(t)
			require.Equal(t, "system:node:third", a, "read again once whole")
		})
	}
}

func TestCertificateFilesErrors(t *testing.T) {
	ca, err := pki.NewCA("ca", time.Hour)
	require.NoError(t, err)
	a, err := ca.Issue(pki.ClientSpec("a"))
	require.NoError(t, err)
	b, err := ca.Issue(pki.ClientSpec("b"))
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, pki.WriteKeyPair(a, filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key")))
	require.NoError(t, pki.WriteKeyPair(b, filepath.Join(dir, "b.crt"), filepath.Join(dir, "b.key")))
	cases := []struct {
		name, cert, key string
	}{
		{"no certificate file", "missing.crt", "a.key"},
		{"no key file", "a.crt", "missing.key"},
		{"key of another certificate", "a.crt", "b.key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCertificateFiles(filepath.Join(dir, tc.cert), filepath.Join(dir, tc.key))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.cert)
		})
	}
}
