package csrsigning

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// newCA returns a self-signed CA valid from epoch-1h for life.
func newCA(t *testing.T, life time.Duration) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keelson-ca"},
		NotBefore: epoch.Add(-time.Hour), NotAfter: epoch.Add(-time.Hour + life),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &CA{Cert: cert, Key: key}
}

// approved returns an approved request to signer for the given template.
func approved(t *testing.T, signer string, tmpl *x509.CertificateRequest, usages []string, expiration *int32) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, newKey(t))
	require.NoError(t, err)
	return &certificatesv1.CertificateSigningRequest{
		Metadata: &metav1.ObjectMeta{Name: "csr-test"},
		Spec:     &certificatesv1.CertificateSigningRequestSpec{Request: csr.EncodeRequest(der), SignerName: signer, Usages: usages, ExpirationSeconds: expiration},
		Status: &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{
			{Type: csr.Approved, Status: "True", Reason: "Test"},
		}},
	}
}

func nodeSubject(name string) *x509.CertificateRequest {
	return &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:" + name, Organization: []string{"system:nodes"}}}
}

func TestHandle(t *testing.T) {
	ca := newCA(t, 24*time.Hour)
	kubelet := func(t *testing.T) *certificatesv1.CertificateSigningRequest {
		t.Helper()
		t.Helper()
		return approved(t, csr.KubeAPIServerClientKubeletSigner, nodeSubject("n1"), csr.KubeletClientUsages, nil)
	}
	serving := &x509.CertificateRequest{Subject: nodeSubject("n1").Subject, DNSNames: []string{"n1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	type want struct {
		changed     bool
		failed      string // the Failed reason, or "" for an issued certificate
		notBefore   time.Time
		notAfter    time.Time
		keyUsage    x509.KeyUsage
		extKeyUsage []x509.ExtKeyUsage
		dns         []string
		cn          string
		orgs        []string
		ipCount     int
	}
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	cases := []struct {
		name string
		ca   *CA
		now  time.Time
		dur  time.Duration
		req  func(t *testing.T) *certificatesv1.CertificateSigningRequest
		want want
	}{
		{"kubelet client for the configured duration", ca, epoch, time.Hour, kubelet,
			want{changed: true, notBefore: epoch.Add(-5 * time.Minute), notAfter: epoch.Add(time.Hour),
				keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"expirationSeconds at the minimum", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientKubeletSigner, nodeSubject("n1"), csr.KubeletClientUsages, proto.Int32(600))
		}, want{changed: true, notBefore: epoch.Add(-2 * time.Minute), notAfter: epoch.Add(10 * time.Minute),
			keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"expirationSeconds beyond the configured duration", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientKubeletSigner, nodeSubject("n1"), csr.KubeletClientUsages, proto.Int32(7200))
		}, want{changed: true, notBefore: epoch.Add(-5 * time.Minute), notAfter: epoch.Add(time.Hour),
			keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"a configured duration under ten minutes", ca, epoch, time.Minute, kubelet,
			want{changed: true, notBefore: epoch.Add(-12 * time.Second), notAfter: epoch.Add(time.Minute),
				keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"expirationSeconds under the minimum", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientKubeletSigner, nodeSubject("n1"), csr.KubeletClientUsages, proto.Int32(60))
		}, want{changed: true, notBefore: epoch.Add(-2 * time.Minute), notAfter: epoch.Add(10 * time.Minute),
			keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"expirationSeconds beyond a short configured duration", ca, epoch, time.Minute, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientKubeletSigner, nodeSubject("n1"), csr.KubeletClientUsages, proto.Int32(600))
		}, want{changed: true, notBefore: epoch.Add(-12 * time.Second), notAfter: epoch.Add(time.Minute),
			keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"capped at the CA's expiry", ca, epoch.Add(22 * time.Hour), 10 * time.Hour, kubelet,
			want{changed: true, notBefore: epoch.Add(22*time.Hour - 5*time.Minute), notAfter: ca.Cert.NotAfter,
				keyUsage: x509.KeyUsageDigitalSignature, extKeyUsage: client, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"kubelet serving", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeletServingSigner, serving, []string{"digital signature", "key encipherment", "server auth"}, nil)
		}, want{changed: true, notBefore: epoch.Add(-5 * time.Minute), notAfter: epoch.Add(time.Hour),
			keyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			dns: []string{"n1"}, ipCount: 1, cn: "system:node:n1", orgs: []string{"system:nodes"}}},
		{"apiserver client", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientSigner, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "alice", Organization: []string{"dev"}}},
				[]string{"client auth"}, nil)
		}, want{changed: true, notBefore: epoch.Add(-5 * time.Minute), notAfter: epoch.Add(time.Hour),
			extKeyUsage: client, cn: "alice", orgs: []string{"dev"}}},
		{"kubelet client with the wrong organization fails", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeAPIServerClientKubeletSigner, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:masters"}}},
				csr.KubeletClientUsages, nil)
		}, want{changed: true, failed: ReasonValidation}},
		{"kubelet serving without names fails", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, csr.KubeletServingSigner, nodeSubject("n1"), []string{"server auth"}, nil)
		}, want{changed: true, failed: ReasonValidation}},
		{"expired CA fails", ca, epoch.Add(30 * time.Hour), time.Hour, kubelet, want{changed: true, failed: ReasonSigning}},
		{"CA whose key does not sign its certificate fails", &CA{Cert: ca.Cert, Key: newKey(t)}, epoch, time.Hour, kubelet,
			want{changed: true, failed: ReasonSigning}},
		{"pending is left", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			r := kubelet(t)
			r.Status = nil
			return r
		}, want{}},
		{"denied is left", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			r := kubelet(t)
			r.Status.Conditions[0].Type = csr.Denied
			return r
		}, want{}},
		{"failed is left", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			r := kubelet(t)
			r.Status.Conditions = append(r.Status.Conditions, &certificatesv1.CertificateSigningRequestCondition{Type: csr.Failed, Status: "True"})
			return r
		}, want{}},
		{"issued is left", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			r := kubelet(t)
			r.Status.Certificate = []byte("issued")
			return r
		}, want{}},
		{"another signer's is left", ca, epoch, time.Hour, func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return approved(t, "example.com/mine", nodeSubject("n1"), csr.KubeletClientUsages, nil)
		}, want{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Controller{opts: Options{CA: tc.ca, Duration: tc.dur}, clock: clock.NewFake(tc.now)}
			in := tc.req(t)
			before := proto.Clone(in)
			next, changed := c.Handle(in)
			require.True(t, proto.Equal(before, in), "Handle leaves its input alone")
			require.Equal(t, tc.want.changed, changed)
			if !changed {
				return
			}
			if tc.want.failed != "" {
				f := csr.Condition(next, csr.Failed)
				require.NotNil(t, f, "marked Failed")
				require.Equal(t, tc.want.failed, f.GetReason())
				require.NotEmpty(t, f.GetMessage())
				require.Empty(t, next.GetStatus().GetCertificate())
				return
			}
			certs, err := csr.ParseCertificates(next.GetStatus().GetCertificate())
			require.NoError(t, err)
			require.Len(t, certs, 1)
			cert := certs[0]
			require.Equal(t, tc.want.cn, cert.Subject.CommonName)
			require.Equal(t, tc.want.orgs, cert.Subject.Organization)
			require.Equal(t, tc.want.notBefore, cert.NotBefore)
			require.Equal(t, tc.want.notAfter, cert.NotAfter)
			require.Equal(t, tc.want.keyUsage, cert.KeyUsage)
			require.Equal(t, tc.want.extKeyUsage, cert.ExtKeyUsage)
			require.Equal(t, tc.want.dns, cert.DNSNames)
			require.Len(t, cert.IPAddresses, tc.want.ipCount)
			require.False(t, cert.IsCA)
			req, err := csr.ParseRequest(in.GetSpec().GetRequest())
			require.NoError(t, err)
			require.True(t, req.PublicKey.(*ecdsa.PublicKey).Equal(cert.PublicKey), "the certificate holds the request's key")
			roots := x509.NewCertPool()
			roots.AddCert(tc.ca.Cert)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: tc.now, KeyUsages: cert.ExtKeyUsage})
			require.NoError(t, err, "the certificate chains to the CA")
		})
	}
}

func TestLoadCA(t *testing.T) {
	ca := newCA(t, 24*time.Hour)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "ca.crt")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), 0o600))
	write := func(name string, key *ecdsa.PrivateKey, pkcs8 bool) string {
		var block *pem.Block
		if pkcs8 {
			der, err := x509.MarshalPKCS8PrivateKey(key)
			require.NoError(t, err)
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		} else {
			der, err := x509.MarshalECPrivateKey(key)
			require.NoError(t, err)
			block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
		}
		f := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(f, pem.EncodeToMemory(block), 0o600))
		return f
	}
	key := ca.Key.(*ecdsa.PrivateKey)
	cases := []struct {
		name, keyFile string
		ok            bool
	}{
		{"SEC 1 key", write("ec.key", key, false), true},
		{"PKCS 8 key", write("p8.key", key, true), true},
		{"another key", write("other.key", newKey(t), false), false},
		{"missing key", filepath.Join(dir, "missing.key"), false},
		{"certificate as key", certFile, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadCA(certFile, tc.keyFile)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.True(t, got.Cert.Equal(ca.Cert))
		})
	}
}
