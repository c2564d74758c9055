package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/csr"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
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
    server: ` + cl.URL(0) + `
    certificate-authority: ` + cl.PKI().CertFile(clusterpki.CAName) + `
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

// nodeCSR returns the kubelet client certificate request for node other than those named in
// seen, if any.
func nodeCSR(ctx context.Context, c *client.Client, node string, seen ...string) (*certificatesv1.CertificateSigningRequest, bool) {
	list, err := c.CertificateSigningRequests().List(ctx, client.ListOptions{})
	if err != nil {
		return nil, false
	}
	for _, r := range list.Items {
		req, err := csr.ParseRequest(r.GetSpec().GetRequest())
		if err == nil && req.Subject.CommonName == csr.NodeUserPrefix+node && !slices.Contains(seen, r.GetMetadata().GetName()) {
			return r, true
		}
	}
	return nil, false
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

// actAsNode checks that the kubeconfig the kubelet wrote at path is readable by its owner only
// and authenticates as the node, which may read its own Node, as `kubectl --kubeconfig <path> get
// node <node>` would on the node. It returns the serial number of the certificate it presents.
func actAsNode(ctx context.Context, t *testing.T, path, node string) string {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the kubeconfig is readable by the kubelet only")
	c, err := config.APIClient{Kubeconfig: path}.NewClient("as-the-node", zap.NewNop())
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	review, err := client.For[*authenticationv1.SelfSubjectReview](c, "").Create(ctx, &authenticationv1.SelfSubjectReview{})
	require.NoError(t, err)
	require.Equal(t, "system:node:"+node, review.GetStatus().GetUserInfo().GetUsername())
	require.Contains(t, review.GetStatus().GetUserInfo().GetGroups(), "system:nodes")
	n, err := c.Nodes().Get(ctx, node)
	require.NoError(t, err, "the node reads its own Node")
	require.Equal(t, node, n.GetMetadata().GetName())

	kc, err := kubeconfig.Load(path)
	require.NoError(t, err)
	r, err := kc.Resolve("")
	require.NoError(t, err)
	cert, err := r.TLS.GetClientCertificate(nil)
	require.NoError(t, err)
	return cert.Leaf.SerialNumber.String()
}

// TestKubeletBootstrapsAndRotatesItsClientCertificate starts a kubelet with only a bootstrap
// kubeconfig: it asks for a client certificate through a CertificateSigningRequest, which is
// approved and then signed by csrsigning with the cluster CA; the kubelet writes it, writes
// --kubeconfig to present it and registers its node. Brought forward on the kubelet's
// certificate clock past 90% of the certificate's life, the kubelet asks again and swaps the new
// certificate in while it keeps running; the kubeconfig it wrote presents the new one. Restarted
// with that kubeconfig and without the bootstrap kubeconfig, the kubelet uses the kubeconfig and
// asks for no certificate.
//
// The cluster runs Node,RBAC over TLS, as Kubernetes' bootstrap policy has it: the first request
// comes from the bootstrap token's user, in system:bootstrappers, which may ask for a new node's
// certificate (nodeclient); the renewal comes from the node itself, which may ask for its own
// (selfnodeclient). csrapproving's SubjectAccessReviews approve both.
func TestKubeletBootstrapsAndRotatesItsClientCertificate(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ca := startCSRControllers(t, cl, time.Hour, "csrapproving", "csrsigning")
	c, ctx := cl.Client(), testContext(t)
	const node = "joiner-1"
	certClock := clock.NewFake(time.Now())
	// The token writeBootstrapKubeconfig hands the kubelet, as kubeadm token create makes it.
	_, err := c.Secrets("kube-system").Create(ctx, &corev1.Secret{
		Metadata: &metav1.ObjectMeta{Name: "bootstrap-token-abcdef", Namespace: "kube-system"},
		Type:     "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": "abcdef", "token-secret": "0123456789abcdef", "usage-bootstrap-authentication": "true",
			"expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		},
	})
	require.NoError(t, err)

	nodeKubeconfig := filepath.Join(t.TempDir(), "etc", "kubelet.conf")
	k := framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: node, Runtime: kubeletserver.RuntimeHollow,
		Configure: func(cfg *kubeletserver.Config) {
			cfg.Kubeconfig = nodeKubeconfig
			cfg.Bootstrap.BootstrapKubeconfig = writeBootstrapKubeconfig(t, cl)
			cfg.Bootstrap.CertificateExpiration = 10 * time.Minute
			cfg.APIServers = nil // only the bootstrap kubeconfig names the apiserver
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
	_, err = first.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
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
	require.Equal(t, "system:bootstrap:abcdef", r.GetSpec().GetUsername(), "asked for with the bootstrap token")

	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, node)
		return n != nil && nodeCondition(n, "Ready").GetStatus() == "True"
	}, "node %s registered and ready", node)
	require.Equal(t, first.SerialNumber.String(), actAsNode(ctx, t, nodeKubeconfig, node), "the kubeconfig presents the certificate")

	// Past 90% of the certificate's life on the kubelet's certificate clock, it asks again.
	certClock.SetTime(first.NotBefore.Add(first.NotAfter.Sub(first.NotBefore) * 9 / 10).Add(time.Second))
	var renewal *certificatesv1.CertificateSigningRequest
	framework.Eventually(t, 30*time.Second, func() bool {
		var ok bool
		renewal, ok = nodeCSR(ctx, c, node, r.GetMetadata().GetName())
		return ok
	}, "renewal request created with a new key")
	// Back to now, so that the renewed certificate is not already due in turn.
	certClock.SetTime(time.Now())
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
	renewal, err = c.CertificateSigningRequests().Get(ctx, renewal.GetMetadata().GetName())
	require.NoError(t, err)
	require.Equal(t, "system:node:"+node, renewal.GetSpec().GetUsername(), "the node asks for its own renewal")
	require.Equal(t, "AutoApproved", csr.Condition(renewal, csr.Approved).GetReason(), "approved by csrapproving")
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
	require.Equal(t, second.SerialNumber.String(), actAsNode(ctx, t, nodeKubeconfig, node),
		"the same kubeconfig presents the renewed certificate")

	// Restarted with the kubeconfig it wrote and the bootstrap kubeconfig gone, as after a
	// node's join, the kubelet uses the kubeconfig (its --apiserver leads nowhere): no new request.
	kcfg := k.Config
	require.NoError(t, k.Stop())
	require.NoError(t, os.Remove(kcfg.Bootstrap.BootstrapKubeconfig))
	stopped := time.Now()
	k2 := framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: node, NodeIP: kcfg.NodeIP, Runtime: kubeletserver.RuntimeHollow,
		Configure: func(cfg *kubeletserver.Config) { *cfg = kcfg },
	})
	framework.Eventually(t, 30*time.Second, func() bool {
		n := getNode(c, node)
		return n != nil && nodeCondition(n, "Ready").GetLastHeartbeatTime().AsTime().After(stopped)
	}, "node status posted by the restarted kubelet")
	select {
	case <-k2.Done():
		t.Fatal("the restarted kubelet stopped")
	default:
	}
	list, err = c.CertificateSigningRequests().List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 2, "the bootstrap's and the renewal's requests only")
	require.Equal(t, second.SerialNumber.String(), actAsNode(ctx, t, nodeKubeconfig, node))
}
