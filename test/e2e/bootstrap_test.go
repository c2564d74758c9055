package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/csr"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
	certificatesv1 "github.com/keelson-dev/keelson/proto/certificates/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// signingDuration is the validity csrsigning gives the kubelet's certificates in the bootstrap
// test: short, so that the kubelet renews within the test (at 70 to 90% of it).
const signingDuration = 45 * time.Second

// TestKubeletJoinsWithABootstrapTokenAndRotatesItsCertificate drives the built binaries through
// Kubernetes' kubelet TLS bootstrap. The apiserver serves TLS only, authenticates client
// certificates and bootstrap tokens and authorizes with Node,RBAC; the controller manager runs
// csrapproving and csrsigning with a cluster-signing duration of under a minute; a kubelet starts
// with nothing but a bootstrap kubeconfig holding a bootstrap token. The kubelet's request, made
// as system:bootstrap:<id>, is approved and signed; the kubelet registers its node as
// system:node:<name> (the audit log says who) and the node goes Ready. Before the certificate
// expires the kubelet asks again as the node itself, gets a new certificate with another serial
// and keeps renewing its lease past the first certificate's expiry, without a restart.
func TestKubeletJoinsWithABootstrapTokenAndRotatesItsCertificate(t *testing.T) {
	bin := requireBinaries(t)
	dir := t.TempDir()
	p := newClusterPKI(t, bin)
	server := p.server
	caFile, caKeyFile := p.CertFile(clusterpki.CAName), p.KeyFile(clusterpki.CAName)

	auditLog := filepath.Join(dir, "audit.log")
	apiserver := p.startAPIServer(t, bin, filepath.Join(dir, "etcd"), "--log-level", "warn",
		"--enable-bootstrap-token-auth", "--audit-log-path", auditLog)
	admin := p.adminClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	apiserver.WaitFor(60*time.Second, func() bool {
		_, err := admin.Namespaces().Get(ctx, "kube-system")
		return err == nil
	}, "the apiserver serves the admin over TLS")

	// The token an administrator hands a new node (kubeadm token create).
	const tokenID, tokenSecret, node = "a1b2c3", "0123456789abcdef", "joiner"
	_, err := admin.Secrets("kube-system").Create(ctx, &corev1.Secret{
		Metadata: &metav1.ObjectMeta{Name: "bootstrap-token-" + tokenID, Namespace: "kube-system"},
		Type:     "bootstrap.kubernetes.io/token",
		StringData: map[string]string{
			"token-id": tokenID, "token-secret": tokenSecret, "usage-bootstrap-authentication": "true",
			"expiration": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		},
	})
	require.NoError(t, err)

	cm := startDaemon(t, bin, "controller-manager", nil, append(p.kubeconfigArgs(clusterpki.ControllerManagerName),
		"--port", strconv.Itoa(loopbackPort(t)), "--log-level", "info", "--controllers", "csrapproving,csrsigning",
		"--cluster-signing-cert-file", caFile, "--cluster-signing-key-file", caKeyFile,
		"--cluster-signing-duration", signingDuration.String())...)

	bootstrapKubeconfig := filepath.Join(dir, "bootstrap-kubelet.kubeconfig")
	require.NoError(t, kubeconfig.Write(kubeconfig.New("keelson", kubeconfig.Cluster{Server: server, CertificateAuthority: caFile},
		kubeconfig.AuthInfo{Token: tokenID + "." + tokenSecret}), bootstrapKubeconfig))
	certDir := filepath.Join(dir, "kubelet-pki")
	kubelet := startDaemon(t, bin, "kubelet", nil, "--bootstrap-kubeconfig", bootstrapKubeconfig, "--cert-dir", certDir,
		"--root-dir", filepath.Join(dir, "kubelet"), "--hostname-override", node, "--node-ip", "127.0.0.1",
		"--runtime", "hollow", "--port", strconv.Itoa(loopbackPort(t)), "--healthz-port", strconv.Itoa(loopbackPort(t)),
		"--node-lease-duration-seconds", "8", "--node-status-update-frequency", "4s", "--log-level", "info")
	running := func() {
		t.Helper()
		for _, d := range []struct {
			name string
			done <-chan struct{}
		}{{"apiserver", apiserver.Done()}, {"controller manager", cm.Done()}, {"kubelet", kubelet.Done()}} {
			select {
			case <-d.done:
				t.Fatalf("the %s stopped", d.name)
			default:
			}
		}
	}

	// The first request: made with the bootstrap token, approved by csrapproving, signed.
	var first *certificatesv1.CertificateSigningRequest
	kubelet.WaitFor(60*time.Second, func() bool {
		first = nodeRequestBy(ctx, admin, node, "system:bootstrap:"+tokenID)
		return first != nil && len(first.GetStatus().GetCertificate()) > 0
	}, "the kubelet's request made as system:bootstrap:%s is issued", tokenID)
	require.Contains(t, first.GetSpec().GetGroups(), "system:bootstrappers")
	require.Equal(t, csr.KubeAPIServerClientKubeletSigner, first.GetSpec().GetSignerName())
	require.Equal(t, "AutoApproved", csr.Condition(first, csr.Approved).GetReason())

	certFile := filepath.Join(certDir, "kubelet-client-current.pem")
	var cert1 *x509.Certificate
	kubelet.WaitFor(30*time.Second, func() bool {
		cert1 = readKubeletClientCert(certFile)
		return cert1 != nil
	}, "the kubelet writes its certificate")
	require.Equal(t, "system:node:"+node, cert1.Subject.CommonName)
	require.Equal(t, []string{"system:nodes"}, cert1.Subject.Organization)
	require.LessOrEqual(t, cert1.NotAfter.Sub(cert1.NotBefore), signingDuration*6/5, "the short cluster-signing duration, backdated a little")
	verifyWithCA(t, caFile, cert1)

	// The node registers and goes Ready, through the Node authorizer as the node itself.
	kubelet.WaitFor(60*time.Second, func() bool {
		n, err := admin.Nodes().Get(ctx, node)
		return err == nil && nodeReadyCondition(n).GetStatus() == "True"
	}, "node %s is Ready", node)
	creator := auditedUser(t, auditLog, "create", "nodes", node)
	require.Equal(t, "system:node:"+node, creator.Username, "the node is registered by the kubelet's certificate identity")
	require.Contains(t, creator.Groups, "system:nodes")

	// Before the certificate expires, the kubelet asks again as the node and swaps the new one in.
	var renewal *certificatesv1.CertificateSigningRequest
	kubelet.WaitFor(signingDuration+30*time.Second, func() bool {
		renewal = nodeRequestBy(ctx, admin, node, "system:node:"+node)
		return renewal != nil && len(renewal.GetStatus().GetCertificate()) > 0
	}, "the kubelet's renewal made as system:node:%s is issued", node)
	require.Contains(t, renewal.GetSpec().GetGroups(), "system:nodes")
	require.Equal(t, "Auto approving self kubelet client certificate after SubjectAccessReview.",
		csr.Condition(renewal, csr.Approved).GetMessage())
	var cert2 *x509.Certificate
	kubelet.WaitFor(30*time.Second, func() bool {
		cert2 = readKubeletClientCert(certFile)
		return cert2 != nil && cert2.SerialNumber.Cmp(cert1.SerialNumber) != 0
	}, "the kubelet writes its renewed certificate")
	require.Equal(t, "system:node:"+node, cert2.Subject.CommonName)
	require.True(t, cert2.NotAfter.After(cert1.NotAfter), "the new certificate outlives the old one")
	require.True(t, renewal.GetMetadata().GetCreationTimestamp().AsTime().Before(cert1.NotAfter), "renewal asked for before the old certificate expired")
	verifyWithCA(t, caFile, cert2)

	// Past the first certificate's expiry, the kubelet still renews its lease and posts status.
	kubelet.WaitFor(signingDuration, func() bool {
		lease, err := admin.Leases("kube-node-lease").Get(ctx, node)
		if err != nil || !lease.GetSpec().GetRenewTime().AsTime().After(cert1.NotAfter) {
			return false
		}
		n, err := admin.Nodes().Get(ctx, node)
		return err == nil && nodeReadyCondition(n).GetStatus() == "True" &&
			nodeReadyCondition(n).GetLastHeartbeatTime().AsTime().After(cert1.NotAfter)
	}, "the kubelet heartbeats after its first certificate expired")
	running()
}

// nodeRequestBy returns the newest kubelet client request for node made by requestor, or nil.
func nodeRequestBy(ctx context.Context, c *client.Client, node, requestor string) *certificatesv1.CertificateSigningRequest {
	list, err := c.CertificateSigningRequests().List(ctx, client.ListOptions{})
	if err != nil {
		return nil
	}
	var newest *certificatesv1.CertificateSigningRequest
	for _, r := range list.Items {
		req, err := csr.ParseRequest(r.GetSpec().GetRequest())
		if err != nil || req.Subject.CommonName != "system:node:"+node || r.GetSpec().GetUsername() != requestor {
			continue
		}
		if newest == nil || r.GetMetadata().GetCreationTimestamp().AsTime().After(newest.GetMetadata().GetCreationTimestamp().AsTime()) {
			newest = r
		}
	}
	return newest
}

// readKubeletClientCert returns the certificate of the kubelet's certificate-and-key file, or nil
// while there is none.
func readKubeletClientCert(file string) *x509.Certificate {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	certs, err := pki.ParseCerts(b)
	if err != nil || len(certs) == 0 {
		return nil
	}
	return certs[0]
}

// verifyWithCA checks that cert is a client certificate of the cluster CA in caFile.
func verifyWithCA(t *testing.T, caFile string, cert *x509.Certificate) {
	t.Helper()
	roots, err := pki.ReadCertPool(caFile)
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err, "signed by the cluster CA")
}

// nodeReadyCondition returns n's Ready condition, nil if it has none.
func nodeReadyCondition(n *corev1.Node) *corev1.NodeCondition {
	for _, c := range n.GetStatus().GetConditions() {
		if c.GetType() == "Ready" {
			return c
		}
	}
	return nil
}

// auditUser is the user of an audit event.
type auditUser struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// auditedUser returns the user of the successful verb on resource name in the audit log.
func auditedUser(t *testing.T, file, verb, resource, name string) auditUser {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		var ev struct {
			Verb      string    `json:"verb"`
			User      auditUser `json:"user"`
			ObjectRef *struct {
				Resource    string `json:"resource"`
				Subresource string `json:"subresource"`
				Name        string `json:"name"`
			} `json:"objectRef"`
			ResponseStatus *struct {
				Code int `json:"code"`
			} `json:"responseStatus"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Verb != verb || ev.ObjectRef == nil {
			continue
		}
		ok := ev.ResponseStatus != nil && ev.ResponseStatus.Code >= 200 && ev.ResponseStatus.Code < 300
		if ev.ObjectRef.Resource == resource && ev.ObjectRef.Subresource == "" && ev.ObjectRef.Name == name && ok {
			return ev.User
		}
	}
	require.NoError(t, sc.Err())
	t.Fatalf("no successful %s of %s %s in the audit log", verb, resource, name)
	return auditUser{}
}
