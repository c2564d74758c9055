package pki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIssueAndVerify(t *testing.T) {
	ca, err := NewCA("keelson-ca", 0)
	require.NoError(t, err)
	other, err := NewCA("other-ca", 0)
	require.NoError(t, err)
	require.True(t, ca.Cert.IsCA)

	serving, err := ca.Issue(ServingSpec("kube-apiserver", []string{"localhost", "kubernetes"}, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}))
	require.NoError(t, err)
	client, err := ca.Issue(ClientSpec("keelson-admin", "system:masters"))
	require.NoError(t, err)
	require.Equal(t, "keelson-admin", client.Cert.Subject.CommonName)
	require.Equal(t, []string{"system:masters"}, client.Cert.Subject.Organization)
	require.NoError(t, serving.Cert.VerifyHostname("127.0.0.1"))
	require.NoError(t, serving.Cert.VerifyHostname("::1"))
	require.NoError(t, serving.Cert.VerifyHostname("kubernetes"))
	require.Error(t, serving.Cert.VerifyHostname("example.com"))

	tests := []struct {
		name    string
		cert    *x509.Certificate
		ca      *x509.Certificate
		usage   x509.ExtKeyUsage
		wantErr string
	}{
		{name: "serving cert for serving", cert: serving.Cert, ca: ca.Cert, usage: x509.ExtKeyUsageServerAuth},
		{name: "client cert for clients", cert: client.Cert, ca: ca.Cert, usage: x509.ExtKeyUsageClientAuth},
		{name: "client cert is no serving cert", cert: client.Cert, ca: ca.Cert, usage: x509.ExtKeyUsageServerAuth, wantErr: "incompatible key usage"},
		{name: "another CA", cert: serving.Cert, ca: other.Cert, usage: x509.ExtKeyUsageServerAuth, wantErr: "unknown authority"},
		{name: "CA verifies itself", cert: ca.Cert, ca: ca.Cert, usage: x509.ExtKeyUsageAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.cert, tt.ca, tt.usage)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestIssueRejectsBadSpecs(t *testing.T) {
	ca, err := NewCA("keelson-ca", 0)
	require.NoError(t, err)
	tests := []struct {
		name    string
		spec    CertSpec
		wantErr string
	}{
		{name: "no name", spec: CertSpec{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, wantErr: "common name is empty"},
		{name: "no usage", spec: CertSpec{CommonName: "x"}, wantErr: "no key usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ca.Issue(tt.spec)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
	_, err = NewCA("", 0)
	require.ErrorContains(t, err, "common name is empty")
}

func TestCertNeverOutlivesCA(t *testing.T) {
	ca, err := NewCA("short", 3600e9)
	require.NoError(t, err)
	kp, err := ca.Issue(ClientSpec("u"))
	require.NoError(t, err)
	require.False(t, kp.Cert.NotAfter.After(ca.Cert.NotAfter))
}

func TestSelfSigned(t *testing.T) {
	kp, err := SelfSigned("node-1", []string{"node-1"}, []net.IP{net.ParseIP("127.0.0.1")}, 0)
	require.NoError(t, err)
	require.NoError(t, Verify(kp.Cert, kp.Cert, x509.ExtKeyUsageServerAuth))
	require.NoError(t, kp.Cert.VerifyHostname("127.0.0.1"))
	ca, err := NewCA("keelson-ca", 0)
	require.NoError(t, err)
	require.ErrorContains(t, Verify(kp.Cert, ca.Cert, x509.ExtKeyUsageServerAuth), "unknown authority")
}

func TestFilesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCA("keelson-ca", 0)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "pki", "ca.crt"), filepath.Join(dir, "pki", "ca.key")
	require.NoError(t, WriteKeyPair(&ca.KeyPair, certFile, keyFile))

	for file, mode := range map[string]os.FileMode{certFile: 0o644, keyFile: 0o600} {
		st, err := os.Stat(file)
		require.NoError(t, err)
		require.Equal(t, mode, st.Mode().Perm(), file)
	}
	back, err := ReadCA(certFile, keyFile)
	require.NoError(t, err)
	require.True(t, back.Cert.Equal(ca.Cert))
	kp, err := back.Issue(ClientSpec("system:kube-scheduler"))
	require.NoError(t, err)
	require.NoError(t, Verify(kp.Cert, ca.Cert, x509.ExtKeyUsageClientAuth))

	pool, err := ReadCertPool(certFile)
	require.NoError(t, err)
	_, err = kp.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)

	// A leaf is not a CA; a key of another pair does not match.
	leafCert, leafKey := filepath.Join(dir, "leaf.crt"), filepath.Join(dir, "leaf.key")
	require.NoError(t, WriteKeyPair(kp, leafCert, leafKey))
	_, err = ReadCA(leafCert, leafKey)
	require.ErrorContains(t, err, "is not a CA")
	_, err = ReadKeyPair(leafCert, keyFile)
	require.ErrorContains(t, err, "private key does not match public key")
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		parse   func() error
		wantErr string
	}{
		{name: "no certificate", parse: func() error { _, err := ParseCerts([]byte("junk")); return err }, wantErr: "no PEM certificate"},
		{name: "bad certificate", parse: func() error {
			_, err := ParseCerts([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
			return err
		}, wantErr: "parse certificate 1"},
		{name: "no key", parse: func() error { _, err := ParseKey(nil); return err }, wantErr: "no PEM private key"},
		{name: "bad key", parse: func() error {
			_, err := ParseKey([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
			return err
		}, wantErr: "parse PRIVATE KEY"},
		{name: "missing file", parse: func() error { _, err := ReadCertPool(filepath.Join(t.TempDir(), "none")); return err }, wantErr: "read CA bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.parse(), tt.wantErr)
		})
	}
}
