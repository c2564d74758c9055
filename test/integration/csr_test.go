package integration

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// nodeRequestPEM returns a kubelet's certificate request for node, signed by a new key.
func nodeRequestPEM(t *testing.T, node string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + node, Organization: []string{"system:nodes"}},
	}, key)
	require.NoError(t, err)
	return csr.EncodeRequest(der)
}

func csrFixture(t *testing.T) kindFixture[*certificatesv1.CertificateSigningRequest] {
	t.Helper()
	req := nodeRequestPEM(t, "n1")
	return kindFixture[*certificatesv1.CertificateSigningRequest]{
		valid: func(n string) *certificatesv1.CertificateSigningRequest {
			return &certificatesv1.CertificateSigningRequest{Metadata: meta(n, nil), Spec: &certificatesv1.CertificateSigningRequestSpec{
				Request: req, SignerName: csr.KubeAPIServerClientKubeletSigner, Usages: csr.KubeletClientUsages,
			}}
		},
		// The spec never changes after creation: an update may change only metadata.
		spec: func(r *certificatesv1.CertificateSigningRequest) {
			r.Metadata.Labels = map[string]string{"touched": "yes"}
		},
		// Approved and Denied go through the approval subresource; a status write may fail a request.
		status: func(r *certificatesv1.CertificateSigningRequest) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{
				{Type: csr.Failed, Status: "True", Reason: "Test", Message: "failed by the test"},
			}}
		},
		invalid: func(n string) *certificatesv1.CertificateSigningRequest {
			return &certificatesv1.CertificateSigningRequest{Metadata: meta(n, nil), Spec: &certificatesv1.CertificateSigningRequestSpec{
				Request: []byte("not a request"), SignerName: "kubernetes.io/legacy-unknown", Usages: []string{"flying"},
			}}
		},
		badFields: []string{"spec.request", "spec.signerName", "spec.usages[0]"},
	}
}

// restJSON sends a JSON request to the apiserver's REST side and returns the status code and body.
func restJSON(t *testing.T, method, url string, body any, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(testContext(t), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := framework.HTTPClientFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// TestCSRApprovalSubresourceAsKubectlUsesIt approves a request the way `kubectl certificate
// approve` does (GET, append a condition, PUT .../approval), checks that the status subresource
// cannot approve, that an approved request cannot be denied, and prints it as `kubectl get csr`.
func TestCSRApprovalSubresourceAsKubectlUsesIt(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	created, err := c.CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
		Metadata: meta("node-csr-approve", nil),
		Spec: &certificatesv1.CertificateSigningRequestSpec{
			Request: nodeRequestPEM(t, "n1"), SignerName: csr.KubeAPIServerClientKubeletSigner, Usages: csr.KubeletClientUsages,
			ExpirationSeconds: proto.Int32(3600), Username: "forged",
		},
	})
	require.NoError(t, err)
	// The framework's client is the admin, by its client certificate.
	require.Equal(t, clusterpki.Admin.User, created.GetSpec().GetUsername(), "the requestor comes from the authenticated user, never the client")

	// A status write cannot approve.
	st := clone(created)
	st.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{{Type: csr.Approved, Status: "True"}}}
	afterStatus, err := c.CertificateSigningRequests().UpdateStatus(ctx, st)
	require.NoError(t, err)
	require.False(t, csr.Has(afterStatus, csr.Approved), "the status subresource does not approve")

	base := cl.URL(0) + "/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-approve"
	code, body := restJSON(t, http.MethodGet, base, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var obj map[string]any
	require.NoError(t, json.Unmarshal(body, &obj))
	obj["status"] = map[string]any{"conditions": []any{map[string]any{
		"type": "Approved", "status": "True", "reason": "KubectlApprove", "message": "This CSR was approved by kubectl certificate approve.",
		"lastUpdateTime": "2024-05-01T12:00:00Z",
	}}}
	code, body = restJSON(t, http.MethodPut, base+"/approval", obj)
	require.Equal(t, http.StatusOK, code, string(body))
	approved, err := c.CertificateSigningRequests().Get(ctx, "node-csr-approve")
	require.NoError(t, err)
	require.True(t, csr.Has(approved, csr.Approved))
	require.Equal(t, "KubectlApprove", csr.Condition(approved, csr.Approved).GetReason())

	// Denying an approved request, or dropping its approval, is refused.
	deny := clone(approved)
	deny.Status.Conditions = append(deny.Status.Conditions, &certificatesv1.CertificateSigningRequestCondition{Type: csr.Denied, Status: "True"})
	_, err = c.CertificateSigningRequests().UpdateSubresource(ctx, deny, "approval")
	require.True(t, apierrors.IsInvalid(err), "approved and denied: %v", err)
	drop := clone(approved)
	drop.Status.Conditions = nil
	_, err = c.CertificateSigningRequests().UpdateSubresource(ctx, drop, "approval")
	require.True(t, apierrors.IsInvalid(err), "approval removed: %v", err)

	code, body = restJSON(t, http.MethodGet, base, nil, "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	require.Equal(t, http.StatusOK, code, string(body))
	var tbl struct {
		ColumnDefinitions []struct{ Name string } `json:"columnDefinitions"`
		Rows              []struct{ Cells []any } `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(body, &tbl))
	var cols []string
	for _, cd := range tbl.ColumnDefinitions {
		cols = append(cols, cd.Name)
	}
	require.Equal(t, []string{"Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"}, cols)
	require.Len(t, tbl.Rows, 1)
	require.Equal(t, []any{"node-csr-approve", csr.KubeAPIServerClientKubeletSigner, clusterpki.Admin.User, "60m", "Approved"},
		append([]any{tbl.Rows[0].Cells[0]}, tbl.Rows[0].Cells[2:]...))
}

// writeClusterCA writes a new self-signed cluster CA's certificate and key into dir and returns
// their paths and the certificate.
func writeClusterCA(t *testing.T, dir string) (certFile, keyFile string, ca *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keelson-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	ca, err = x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile, ca
}

// startCSRControllers runs a controller manager with only the given controllers (csrapproving,
// csrsigning), signing for at most duration with the cluster's CA (a new one for a plain-text
// cluster), and returns the CA.
func startCSRControllers(t *testing.T, cl *framework.Cluster, duration time.Duration, controllers ...string) *x509.Certificate {
	t.Helper()
	var (
		certFile, keyFile string
		ca                *x509.Certificate
	)
	if p := cl.PKI(); p != nil {
		// A secure cluster's apiserver trusts the certificates its own CA signs.
		certFile, keyFile, ca = p.CertFile(clusterpki.CAName), p.KeyFile(clusterpki.CAName), p.CA.Cert
	} else {
		certFile, keyFile, ca = writeClusterCA(t, t.TempDir())
	}
	framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.Controllers.Controllers = controllers
		s := &cfg.Controllers.Signing
		s.ClusterSigningCertFile, s.ClusterSigningKeyFile, s.ClusterSigningDuration = certFile, keyFile, duration
	})
	return ca
}

// TestCSRSigningIssuesApprovedRequests approves a kubelet's request by hand, as an administrator
// does when no authenticated bootstrapper asked for it, and checks the certificate csrsigning
// issues: subject, usages, a validity of spec.expirationSeconds, signed by the cluster CA. A
// request the signer's rules refuse is marked Failed.
func TestCSRSigningIssuesApprovedRequests(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	// Only the signer: the test's requestor, allowed everything, would have csrapproving
	// approve its kubelet requests before the test does.
	ca := startCSRControllers(t, cl, time.Hour, "csrsigning")
	c, ctx := cl.Client(), testContext(t)

	approve := func(name string, spec *certificatesv1.CertificateSigningRequestSpec) {
		created, err := c.CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{Metadata: meta(name, nil), Spec: spec})
		require.NoError(t, err)
		created.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{
			{Type: csr.Approved, Status: "True", Reason: "TestApprove"},
		}}
		_, err = c.CertificateSigningRequests().UpdateSubresource(ctx, created, "approval")
		require.NoError(t, err)
	}
	waitFor := func(name string, done func(*certificatesv1.CertificateSigningRequest) bool) *certificatesv1.CertificateSigningRequest {
		var got *certificatesv1.CertificateSigningRequest
		framework.Eventually(t, 30*time.Second, func() bool {
			r, err := c.CertificateSigningRequests().Get(ctx, name)
			got = r
			return err == nil && done(r)
		}, "request %s handled", name)
		return got
	}

	approve("node-csr-n1", &certificatesv1.CertificateSigningRequestSpec{
		Request: nodeRequestPEM(t, "n1"), SignerName: csr.KubeAPIServerClientKubeletSigner, Usages: csr.KubeletClientUsages,
		ExpirationSeconds: proto.Int32(600),
	})
	issued := waitFor("node-csr-n1", func(r *certificatesv1.CertificateSigningRequest) bool { return len(r.GetStatus().GetCertificate()) > 0 })
	certs, err := csr.ParseCertificates(issued.GetStatus().GetCertificate())
	require.NoError(t, err)
	cert := certs[0]
	require.Equal(t, "system:node:n1", cert.Subject.CommonName)
	require.Equal(t, []string{"system:nodes"}, cert.Subject.Organization)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
	require.Equal(t, 10*time.Minute, cert.NotAfter.Sub(cert.NotBefore)-2*time.Minute, "ten minutes from issue, backdated by two")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "system:node:n2", Organization: []string{"system:masters"}}}, key)
	require.NoError(t, err)
	approve("node-csr-masters", &certificatesv1.CertificateSigningRequestSpec{
		Request: csr.EncodeRequest(der), SignerName: csr.KubeAPIServerClientKubeletSigner, Usages: csr.KubeletClientUsages,
	})
	failed := waitFor("node-csr-masters", func(r *certificatesv1.CertificateSigningRequest) bool { return csr.Has(r, csr.Failed) })
	require.Equal(t, "SignerValidationFailure", csr.Condition(failed, csr.Failed).GetReason())
	require.Empty(t, failed.GetStatus().GetCertificate())
}
