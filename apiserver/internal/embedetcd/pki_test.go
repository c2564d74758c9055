package embedetcd

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGeneratePKIKeepsWhatIsValidAndRenewsWhatExpires checks the files and their modes, that a
// second call keeps every certificate, and that one close to expiry is issued anew by the same CA.
func TestGeneratePKIKeepsWhatIsValidAndRenewsWhatExpires(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	now := time.Now()
	got, err := GeneratePKI(dir, now)
	require.NoError(t, err)
	require.Equal(t, TLS{CertFile: filepath.Join(dir, ServerCertFile), KeyFile: filepath.Join(dir, ServerKeyFile), TrustedCAFile: filepath.Join(dir, CAFile)}, got)
	for _, key := range []string{CAKeyFile, ServerKeyFile, ClientKeyFile} {
		fi, err := os.Stat(filepath.Join(dir, key))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), key)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	ca, server, client := read(CAFile), read(ServerCertFile), read(ClientCertFile)

	caCert, err := loadCert(filepath.Join(dir, CAFile))
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	sc, err := loadCert(filepath.Join(dir, ServerCertFile))
	require.NoError(t, err)
	_, err = sc.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	require.NoError(t, err, "the server certificate is valid for 127.0.0.1")
	cc, err := loadCert(filepath.Join(dir, ClientCertFile))
	require.NoError(t, err)
	require.Equal(t, "system:apiserver", cc.Subject.CommonName)
	_, err = cc.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)

	_, err = GeneratePKI(dir, now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, ca, read(CAFile), "a valid CA is kept")
	require.Equal(t, server, read(ServerCertFile), "a valid server certificate is kept")
	require.Equal(t, client, read(ClientCertFile), "a valid client certificate is kept")

	_, err = GeneratePKI(dir, now.Add(leafValidity-renewBefore+time.Hour))
	require.NoError(t, err)
	require.Equal(t, ca, read(CAFile), "the CA outlives its leaves")
	require.NotEqual(t, server, read(ServerCertFile), "a server certificate near expiry is renewed")
	require.NotEqual(t, client, read(ClientCertFile), "a client certificate near expiry is renewed")
	renewed, err := loadCert(filepath.Join(dir, ServerCertFile))
	require.NoError(t, err)
	require.NoError(t, renewed.CheckSignatureFrom(caCert))
}

// TestGeneratePKIRefusesAnUnreadableCA checks that a broken CA is reported, not silently replaced
// (which would cut off every client holding the old one).
func TestGeneratePKIRefusesAnUnreadableCA(t *testing.T) {
	dir := t.TempDir()
	_, err := GeneratePKI(dir, time.Now())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, CAFile), []byte("garbage"), 0o644))
	_, err = GeneratePKI(dir, time.Now())
	require.ErrorContains(t, err, CAFile)
}
