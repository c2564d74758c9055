package strategy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
)

// testKey is one key for every request and certificate of these tests.
var testKey = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

func testRequestPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:n1", Organization: []string{"system:nodes"}},
	}, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return csr.EncodeRequest(der)
}

func testCertificatePEM(t *testing.T) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "system:node:n1"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(3600, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey.PublicKey, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func validCSR(t *testing.T) func() *certificatesv1.CertificateSigningRequest {
	t.Helper()
	req := testRequestPEM(t)
	return func() *certificatesv1.CertificateSigningRequest {
		return defaulted(csrStrategy{}, &certificatesv1.CertificateSigningRequest{Metadata: meta("node-csr-a"), Spec: &certificatesv1.CertificateSigningRequestSpec{
			Request: req, SignerName: csr.KubeAPIServerClientKubeletSigner, Usages: []string{"digital signature", "client auth"},
		}})
	}
}

func cond(typ string) *certificatesv1.CertificateSigningRequestCondition {
	return &certificatesv1.CertificateSigningRequestCondition{Type: typ, Status: "True", Reason: "Test"}
}

func TestCSRValidate(t *testing.T) {
	type c = *certificatesv1.CertificateSigningRequest
	runValidation(t, csrStrategy{}, validCSR(t), []fieldCase[c]{
		{"custom signer", func(r c) { r.Spec.SignerName = "example.com/my-signer" }, nil},
		{"minimum duration", func(r c) { r.Spec.ExpirationSeconds = proto.Int32(600) }, nil},
		{"no request", func(r c) { r.Spec.Request = nil }, []string{"spec.request"}},
		{"request not PEM", func(r c) { r.Spec.Request = []byte("hello") }, []string{"spec.request"}},
		{"request of the wrong PEM type", func(r c) { r.Spec.Request = testCertificatePEM(t) }, []string{"spec.request"}},
		{"request with a bad signature", func(r c) {
			b, _ := pem.Decode(r.Spec.Request)
			b.Bytes[len(b.Bytes)-3] ^= 0xff
			r.Spec.Request = pem.EncodeToMemory(b)
		}, []string{"spec.request"}},
		{"no signer", func(r c) { r.Spec.SignerName = "" }, []string{"spec.signerName"}},
		{"signer without path", func(r c) { r.Spec.SignerName = "example.com" }, []string{"spec.signerName"}},
		{"signer without domain", func(r c) { r.Spec.SignerName = "signer/name" }, []string{"spec.signerName"}},
		{"unknown kubernetes.io signer", func(r c) { r.Spec.SignerName = "kubernetes.io/legacy-unknown" }, []string{"spec.signerName"}},
		{"unknown kubernetes.io subdomain signer", func(r c) { r.Spec.SignerName = "x.kubernetes.io/mine" }, []string{"spec.signerName"}},
		{"short duration", func(r c) { r.Spec.ExpirationSeconds = proto.Int32(599) }, []string{"spec.expirationSeconds"}},
		{"no usages", func(r c) { r.Spec.Usages = nil }, []string{"spec.usages"}},
		{"unknown usage", func(r c) { r.Spec.Usages = append(r.Spec.Usages, "flying") }, []string{"spec.usages[2]"}},
		{"duplicate usage", func(r c) { r.Spec.Usages = append(r.Spec.Usages, "client auth") }, []string{"spec.usages[2]"}},
	})
}

func TestCSRValidateStatus(t *testing.T) {
	type c = *certificatesv1.CertificateSigningRequest
	base := validCSR(t)
	approved := func() c {
		r := base()
		r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Approved)}}
		return r
	}
	runStatus(t, csrStrategy{}, base, []fieldCase[c]{
		{"approve", func(r c) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Approved)}}
		}, nil},
		{"custom condition", func(r c) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond("Mine")}}
		}, nil},
		{"approved and denied", func(r c) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Approved), cond(csr.Denied)}}
		}, []string{"status.conditions"}},
		{"approved twice", func(r c) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Approved), cond(csr.Approved)}}
		}, []string{"status.conditions[1].type"}},
		{"approved False", func(r c) {
			a := cond(csr.Approved)
			a.Status = "False"
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{a}}
		}, []string{"status.conditions[0].status"}},
		{"bad status", func(r c) {
			a := cond(csr.Failed)
			a.Status = "Maybe"
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{a}}
		}, []string{"status.conditions[0].status"}},
		{"certificate without approval", func(r c) {
			r.Status = &certificatesv1.CertificateSigningRequestStatus{Certificate: testCertificatePEM(t)}
		}, []string{"status.certificate"}},
	})
	runStatus(t, csrStrategy{}, approved, []fieldCase[c]{
		{"issue", func(r c) { r.Status.Certificate = testCertificatePEM(t) }, nil},
		{"fail", func(r c) { r.Status.Conditions = append(r.Status.Conditions, cond(csr.Failed)) }, nil},
		{"remove approval", func(r c) { r.Status.Conditions = nil }, []string{"status.conditions"}},
		{"certificate not PEM", func(r c) { r.Status.Certificate = []byte("junk") }, []string{"status.certificate"}},
		{"certificate on a failed request", func(r c) {
			r.Status.Conditions = append(r.Status.Conditions, cond(csr.Failed))
			r.Status.Certificate = testCertificatePEM(t)
		}, []string{"status.certificate"}},
	})
	issued := func() c {
		r := approved()
		r.Status.Certificate = testCertificatePEM(t)
		return r
	}
	runStatus(t, csrStrategy{}, issued, []fieldCase[c]{
		{"keep certificate", func(c) {}, nil},
		{"change certificate", func(r c) { r.Status.Certificate = testCertificatePEM(t) }, []string{"status.certificate"}},
		{"drop certificate", func(r c) { r.Status.Certificate = nil }, []string{"status.certificate"}},
	})
}

// TestCSRRequestorFromUser checks that the requestor fields come from the authenticated user and
// never from the client.
func TestCSRRequestorFromUser(t *testing.T) {
	forged := func() *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{Spec: &certificatesv1.CertificateSigningRequestSpec{
			Username: "keelson-admin", Uid: "forged", Groups: []string{user.SystemPrivilegedGroup},
			Extra: map[string]*certificatesv1.ExtraValue{"x": {Items: []string{"y"}}},
		}}
	}
	u := &user.Info{Name: "system:bootstrap:abcdef", UID: "u1", Groups: []string{user.BootstrappersGroup, user.AllAuthenticated},
		Extra: map[string][]string{"scopes": {"a", "b"}}}
	cases := []struct {
		name string
		ctx  context.Context
		want *certificatesv1.CertificateSigningRequestSpec
	}{
		{"authenticated user", user.NewContext(context.Background(), u), &certificatesv1.CertificateSigningRequestSpec{
			Username: u.Name, Uid: u.UID, Groups: u.Groups, Extra: map[string]*certificatesv1.ExtraValue{"scopes": {Items: []string{"a", "b"}}},
		}},
		{"apiserver's own work", context.Background(), &certificatesv1.CertificateSigningRequestSpec{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := forged()
			csrStrategy{}.PrepareForCreate(tc.ctx, r)
			if !proto.Equal(r.Spec, tc.want) {
				t.Errorf("spec = %v, want %v", r.Spec, tc.want)
			}
		})
	}
}

// TestCSRSubresourcesKeepTheirParts checks what each write may change: a plain update nothing of
// the spec, a status write not the approval, an approval write only the approval.
func TestCSRSubresourcesKeepTheirParts(t *testing.T) {
	s := csrStrategy{}
	stored := validCSR(t)()
	stored.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Approved)}}
	certPEM := testCertificatePEM(t)
	types := func(r *certificatesv1.CertificateSigningRequest) []string {
		var out []string
		for _, c := range r.GetStatus().GetConditions() {
			out = append(out, c.GetType())
		}
		return out
	}

	upd := proto.Clone(stored).(*certificatesv1.CertificateSigningRequest)
	upd.Spec.SignerName, upd.Spec.Username = "example.com/other", "mallory"
	s.PrepareForUpdate(upd, stored)
	if !proto.Equal(upd.Spec, stored.Spec) {
		t.Errorf("an update changed the spec to %v", upd.Spec)
	}

	st := proto.Clone(stored).(*certificatesv1.CertificateSigningRequest)
	st.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Denied), cond(csr.Failed)}, Certificate: certPEM}
	s.PrepareForStatusUpdate(st, stored)
	if got := types(st); !slices.Equal(got, []string{csr.Approved, csr.Failed}) || string(st.Status.Certificate) != string(certPEM) {
		t.Errorf("a status write stored conditions %v and certificate %q", got, st.Status.Certificate)
	}

	ap := proto.Clone(stored).(*certificatesv1.CertificateSigningRequest)
	ap.Status = &certificatesv1.CertificateSigningRequestStatus{Conditions: []*certificatesv1.CertificateSigningRequestCondition{cond(csr.Denied), cond(csr.Failed)}, Certificate: certPEM}
	s.PrepareForApproval(ap, stored)
	if got := types(ap); !slices.Equal(got, []string{csr.Denied}) || len(ap.Status.Certificate) != 0 {
		t.Errorf("an approval write stored conditions %v and certificate %q", got, ap.Status.Certificate)
	}
	if errs := s.ValidateStatus(ap, stored); len(errs) == 0 {
		t.Error("an approval write that replaces Approved with Denied is valid")
	}
}
