package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/csr"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// writeBootstrapKubeconfig writes a kubeconfig naming the cluster's first endpoint and a
// bootstrap token, as `kubeadm token create --print-join-command` hands a new node.
func writeBootstrapKubeconfig(t *testing.T, cl *framework.Cluster) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bootstrap-kubelet.conf")
	kc := `apiVersion: v1
kind: Config
clusters:
- name: keelson
  cluster:
    server: http://` + cl.Endpoint(0) + `
users:
- name: kubelet-bootstrap
  user:
    token: abcdef.0123456789abcdef
contexts:
- name: bootstrap
  context: {cluster: keelson, user: kubelet-bootstrap}
current-context: bootstrap
`
	require.NoError(t, os.WriteFile(path, []byte(kc), 0o600))
	return path
}

// pendingNodeCSR returns the pending kubelet request for node, if any.
func pendingNodeCSR(ctx context.Context, c *client.Client, node string) (*certificatesv1.CertificateSigningRequest, bool) {
	list, err := c.CertificateSigningRequests().List(ctx, client.ListOptions{})
	if err != nil {
		return nil, false
	}
	for _, r := range list.Items {
		req, err := csr.ParseRequest(r.GetSpec().GetRequest())
		if err == nil && req.Subject.CommonName == csr.NodeUserPrefix+node && csr.Pending(r) {
			return r, true
		}
	}
	return nil, false
}

// approveCSR approves r as `kubectl certificate approve` does.
func approveCSR(ctx context.Context, c *client.Client, r *certificatesv1.CertificateSigningRequest) error {
	r = clone(r)
	if r.Status == nil {
		r.Status = &certificatesv1.CertificateSigningRequestStatus{}
	}
	r.Status.Conditions = append(r.Status.Conditions, &certificatesv1.CertificateSigningRequestCondition{
		Type: csr.Approved, Status: "True", Reason: "KubectlApprove", Message: "approved by the test",
	})
	_, err := c.CertificateSigningRequests().UpdateSubresource(ctx, r, "approval")
	return err
}

// readClientCertificate reads the kubelet's certificate file and checks its mode and contents.
func readClientCertificate(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the key is readable by the kubelet only")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), "PRIVATE KEY-----", "certificate and key in one file")
	certs, err := csr.ParseCertificates([]byte(strings.Split(string(b), "-----BEGIN EC PRIVATE KEY-----")[0]))
	require.NoError(t, err)
	return certs[0]
}

// TestKubeletBootstrapsAndRotatesItsClientCertificate starts a kubelet with only a bootstrap
// kubeconfig: it asks for a client certificate through a CertificateSigningRequest, which is
// approved and then signed by csrsigning with the cluster CA; the kubelet writes it and registers
// its node. Brought forward on the kubelet's certificate clock past 90% of the certificate's
// life, the kubelet asks again and swaps the new certificate in while it keeps running.
//
// The cluster serves plain text: the test is about the kubelet's certificate machinery on its fake
// clock. The secure join, with a bootstrap token against Node,RBAC over TLS and the renewal
// approved for the node itself, is TestKubeletJoinsWithABootstrapTokenAndRotatesItsCertificate
// (test/e2e), with the built binaries.
//
// The kubelet reaches the plain-text port, whose callers are system:unsecured in system:masters,
// allowed everything: csrapproving's SubjectAccessReview lets that requestor have a new node's
// certificate, so the first request is approved by the controller. The renewal comes from the
// same requestor, not from the node itself, for a node that now exists: csrapproving leaves it
// pending and the test approves it as an administrator would.
func TestKubeletBootstrapsAndRotatesItsClientCertificate(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{PlainText: true})
	ca := startCSRControllers(t, cl, time.Hour, "csrapproving", "csrsigning")
	c, ctx := cl.Client(), testContext(t)
	const node = "joiner-1"
	certClock := clock.NewFake(time.Now())

	k := framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: node, Runtime: kubeletserver.RuntimeHollow,
		Configure: func(cfg *kubeletserver.Config) {
			cfg.Bootstrap.BootstrapKubeconfig = writeBootstrapKubeconfig(t, cl)
			cfg.Bootstrap.CertificateExpiration = 10 * time.Minute
			cfg.APIServers = []string{"127.0.0.1:1"} // only the bootstrap kubeconfig names the apiserver
		},
		Prepare: func(s *kubeletserver.Server) { s.UseCertificateClock(certClock) },
	})
	certFile := k.Server.CertificateFile()
	require.Equal(t, filepath.Join(k.Config.RootDir, "pki", "kubelet-client-current.pem"), certFile)

	first := readClientCertificate(t, certFile)
	require.Equal(t, "system:node:"+node, first.Subject.CommonName)
	require.Equal(t, []string{"system:nodes"}, first.Subject.Organization)
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, first.ExtKeyUsage)
	require.Equal(t, 12*time.Minute, first.NotAfter.Sub(first.NotBefore), "ten minutes asked for, backdated by two")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	_, err := first.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "signed by the cluster CA")

	list, err := c.CertificateSigningRequests().List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	r := list.Items[0]
	require.True(t, strings.HasPrefix(r.GetMetadata().GetName(), "node-csr-"), r.GetMetadata().GetName())
	require.Equal(t, csr.KubeAPIServerClientKubeletSigner, r.GetSpec().GetSignerName())
	require.Equal(t, csr.KubeletClientUsages, r.GetSpec().GetUsages())
	require.Equal(t, int32(600), r.GetSpec().GetExpirationSeconds())
	require.Equal(t, "AutoApproved", csr.Condition(r, csr.Approved).GetReason(), "approved by csrapproving")

	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, node)
		return n != nil && nodeCondition(n, "Ready").GetStatus() == "True"
	}, "node %s registered and ready", node)

	// Past 90% of the certificate's life on the kubelet's certificate clock, it asks again.
	certClock.SetTime(first.NotBefore.Add(first.NotAfter.Sub(first.NotBefore) * 9 / 10).Add(time.Second))
	var renewal *certificatesv1.CertificateSigningRequest
	framework.Eventually(t, 30*time.Second, func() bool {
		var ok bool
		renewal, ok = pendingNodeCSR(ctx, c, node)
		return ok
	}, "renewal request created")
	require.NotEqual(t, r.GetMetadata().GetName(), renewal.GetMetadata().GetName(), "a new key makes a new request")
	// Back to now, so that the renewed certificate is not already due in turn.
	certClock.SetTime(time.Now())
	require.NoError(t, approveCSR(ctx, c, renewal))
	var second *x509.Certificate
	framework.Eventually(t, 30*time.Second, func() bool {
		b, err := os.ReadFile(certFile)
		if err != nil {
			return false
		}
		certs, err := csr.ParseCertificates([]byte(strings.Split(string(b), "-----BEGIN EC PRIVATE KEY-----")[0]))
		if err != nil || certs[0].SerialNumber.Cmp(first.SerialNumber) == 0 {
			return false
		}
		second = certs[0]
		return true
	}, "renewed certificate written")
	second = readClientCertificate(t, certFile)
	require.Equal(t, "system:node:"+node, second.Subject.CommonName)
	require.False(t, first.PublicKey.(*ecdsa.PublicKey).Equal(second.PublicKey), "renewal uses a new key")
	require.True(t, second.NotAfter.After(first.NotAfter) || second.NotAfter.Equal(first.NotAfter))

	// The kubelet carries on without a restart: its node's status keeps coming.
	before := nodeCondition(getNode(c, node), "Ready").GetLastHeartbeatTime().AsTime()
	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, node)
		return n != nil && nodeCondition(n, "Ready").GetLastHeartbeatTime().AsTime().After(before)
	}, "node status still posted after the rotation")
	select {
	case <-k.Done():
		t.Fatal("the kubelet stopped during the rotation")
	default:
	}
}
