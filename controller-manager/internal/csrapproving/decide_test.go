package csrapproving

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// request returns a request for subject cn/orgs with the given DNS names, asked by username in
// groups.
func request(t *testing.T, cn string, orgs, dns []string, signer string, usages []string, username string, groups ...string) *certificatesv1.CertificateSigningRequest {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn, Organization: orgs}, DNSNames: dns,
	}, key)
	require.NoError(t, err)
	return &certificatesv1.CertificateSigningRequest{
		Metadata: &metav1.ObjectMeta{Name: "node-csr-test"},
		Spec: &certificatesv1.CertificateSigningRequestSpec{
			Request: csr.EncodeRequest(der), SignerName: signer, Usages: usages, Username: username, Groups: groups,
		},
	}
}

// denyAll is an authorizer that allows nothing; failing one that always errs.
type (
	denyAll struct{}
	failing struct{}
)

func (denyAll) Authorize(context.Context, *certificatesv1.CertificateSigningRequest, string, string) (bool, error) {
	return false, nil
}

func (failing) Authorize(context.Context, *certificatesv1.CertificateSigningRequest, string, string) (bool, error) {
	return false, errors.New("review unavailable")
}

func TestDecide(t *testing.T) {
	const (
		bootstrapper = "system:bootstrap:abcdef"
		kubelet      = csr.KubeAPIServerClientKubeletSigner
	)
	nodes := []string{"system:nodes"}
	usages := csr.KubeletClientUsages
	bootGroups := []string{"system:bootstrappers", "system:authenticated"}
	cases := []struct {
		name     string
		req      func(t *testing.T) *certificatesv1.CertificateSigningRequest
		authz    Authorizer
		existing []string
		approve  bool
		message  string
		err      bool
	}{
		{"bootstrapper for a new node", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, true, "Auto approving kubelet client certificate after SubjectAccessReview.", false},
		{"bootstrapper with key encipherment (RSA)", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, []string{"key encipherment", "digital signature", "client auth"}, bootstrapper, bootGroups...)
		}, nil, nil, true, "Auto approving kubelet client certificate after SubjectAccessReview.", false},
		{"bootstrapper for an existing node", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, []string{"n1"}, false, "", false},
		{"node renewing its own", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, "system:node:n1", "system:nodes", "system:authenticated")
		}, nil, []string{"n1"}, true, "Auto approving self kubelet client certificate after SubjectAccessReview.", false},
		{"node asking for another node", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n2", nodes, nil, kubelet, usages, "system:node:n1", "system:nodes")
		}, nil, nil, false, "", false},
		{"user named like the node but not in system:nodes", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, "system:node:n1", "system:authenticated")
		}, nil, []string{"n1"}, false, "", false},
		{"ordinary user", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, "alice", "system:authenticated")
		}, nil, nil, false, "", false},
		{"no requestor (no authentication)", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, "")
		}, nil, nil, false, "", false},
		{"other signer", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, csr.KubeAPIServerClientSigner, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"wrong organization", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", []string{"system:masters"}, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"extra organization", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", []string{"system:nodes", "system:masters"}, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"not a node name", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "keelson-admin", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"empty node name", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"subject alternative names", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, []string{"n1.example.com"}, kubelet, usages, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"server auth usage", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, []string{"digital signature", "client auth", "server auth"}, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"missing client auth", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, []string{"digital signature"}, bootstrapper, bootGroups...)
		}, nil, nil, false, "", false},
		{"authorizer says no", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, denyAll{}, nil, false, "", false},
		{"authorizer fails", func(t *testing.T) *certificatesv1.CertificateSigningRequest {
			t.Helper()
			return request(t, "system:node:n1", nodes, nil, kubelet, usages, bootstrapper, bootGroups...)
		}, failing{}, nil, false, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			authz := tc.authz
			if authz == nil {
				authz = ReviewAuthorizer{Reviews: &policyReviews{}}
			}
			exists := func(n string) bool {
				for _, e := range tc.existing {
					if e == n {
						return true
					}
				}
				return false
			}
			d, err := Decide(context.Background(), tc.req(t), authz, exists)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.approve, d.Approve, "decision %+v", d)
			require.Equal(t, tc.message, d.Message)
		})
	}
}
