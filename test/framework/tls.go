package framework

import (
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// setupTLS generates the cluster's PKI into a directory of the test: the CA, the apiserver's
// serving and kubelet-client certificates, and a kubeconfig per component and for the admin, all
// naming every replica's endpoint. ECDSA keys make this a matter of milliseconds.
func (c *Cluster) setupTLS(tb testing.TB) {
	tb.Helper()
	servers := make([]string, 0, len(c.apis))
	for _, ep := range c.Endpoints() {
		servers = append(servers, "https://"+ep)
	}
	dir := tb.TempDir()
	p, err := clusterpki.Generate(clusterpki.Spec{
		Dir: filepath.Join(dir, "pki"), KubeconfigDir: dir, Server: strings.Join(servers, ","),
		ServiceCIDR: c.opts.ServiceClusterIPRange,
	})
	if err != nil {
		tb.Fatalf("cluster PKI: %v", err)
	}
	admin, err := config.APIClient{Kubeconfig: p.Kubeconfig(clusterpki.AdminName)}.ClientConfig()
	if err != nil {
		tb.Fatalf("admin kubeconfig: %v", err)
	}
	c.pki, c.adminTLS = p, admin.TLS
}

// configureTLS serves cfg's port over TLS with the cluster's certificates, verifying client
// certificates and kubelets against the cluster CA, authorizing with Node,RBAC, with the
// plain-text loopback port beside it. A plain-text cluster authorizes every request instead.
func (c *Cluster) configureTLS(cfg *server.Config) {
	if c.pki == nil {
		cfg.ServePlainText = true
		cfg.AuthorizationModes = []string{server.ModeAlwaysAllow}
		return
	}
	cfg.AuthorizationModes = []string{server.ModeNode, server.ModeRBAC}
	cfg.TLSCertFile, cfg.TLSPrivateKeyFile = c.pki.CertFile(clusterpki.APIServerName), c.pki.KeyFile(clusterpki.APIServerName)
	cfg.ClientCAFile = c.pki.CertFile(clusterpki.CAName)
	cfg.KubeletCertificateAuthority = c.pki.CertFile(clusterpki.CAName)
	cfg.KubeletClientCertificate = c.pki.CertFile(clusterpki.APIServerClientName)
	cfg.KubeletClientKey = c.pki.KeyFile(clusterpki.APIServerClientName)
	cfg.InsecurePort = 0
}

// TLS reports whether the cluster serves TLS (unless Options.PlainText).
func (c *Cluster) TLS() bool { return c.pki != nil }

// PKI returns the cluster's generated PKI, nil with Options.PlainText.
func (c *Cluster) PKI() *clusterpki.Cluster { return c.pki }

// Kubeconfig returns the path of the kubeconfig of the named component (clusterpki.SchedulerName,
// ControllerManagerName, ProxyName, AdminName), "" with Options.PlainText. Its servers are every
// replica's endpoint.
func (c *Cluster) Kubeconfig(name string) string {
	if c.pki == nil {
		return ""
	}
	return c.pki.Kubeconfig(name)
}

// URL returns replica i's base URL: https://<endpoint>, or http://<endpoint> with
// Options.PlainText.
func (c *Cluster) URL(i int) string {
	if c.pki != nil {
		return "https://" + c.Endpoint(i)
	}
	return "http://" + c.Endpoint(i)
}

// HTTPClient returns an HTTP client of the cluster as the admin: with the cluster CA and the
// admin's client certificate, a plain one with Options.PlainText. The caller closes idle
// connections if it cares.
func (c *Cluster) HTTPClient() *http.Client {
	if c.pki == nil {
		return &http.Client{}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c.adminTLS.Clone()}}
}

// HTTPClientWithoutCertificate returns an HTTP client of the cluster that trusts the cluster CA but
// presents no client certificate, so that a request is authenticated by the token it carries, or
// is anonymous; a plain client with Options.PlainText.
func (c *Cluster) HTTPClientWithoutCertificate() *http.Client {
	if c.pki == nil {
		return &http.Client{}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: c.withoutCertificate()}}
}

// GRPCCredentials returns the transport credentials of gRPC connections to the cluster as the
// admin: TLS with the admin's client certificate, or plain text with Options.PlainText.
func (c *Cluster) GRPCCredentials() credentials.TransportCredentials {
	if c.pki == nil {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(c.adminTLS.Clone())
}

// GRPCCredentialsWithoutCertificate returns the transport credentials of gRPC connections to the
// cluster that trust the cluster CA but present no client certificate; plain text with
// Options.PlainText.
func (c *Cluster) GRPCCredentialsWithoutCertificate() credentials.TransportCredentials {
	if c.pki == nil {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(c.withoutCertificate())
}

// withoutCertificate is the admin's TLS configuration without its client certificate.
func (c *Cluster) withoutCertificate() *tls.Config {
	cfg := c.adminTLS.Clone()
	cfg.Certificates, cfg.GetClientCertificate = nil, nil
	return cfg
}

// kubeletTLS gives a kubelet of the cluster its identity and serving certificate: a client
// certificate for system:node:<node> (hollow kubelets, serving many nodes, share the admin's) and
// a serving certificate for its node IP, both signed by the cluster CA and written to dir, and a
// kubeconfig. The kubelet then requires the apiserver's client certificate.
func (c *Cluster) kubeletTLS(tb testing.TB, cfg *kubeletTLSFiles, dir string) {
	tb.Helper()
	id := clusterpki.Node(cfg.NodeName)
	if cfg.Hollow {
		id = clusterpki.Admin
	}
	ca := c.pki.CA
	client, err := ca.Issue(pki.ClientSpec(id.User, id.Groups...))
	if err != nil {
		tb.Fatalf("kubelet client certificate: %v", err)
	}
	ips := []net.IP{net.ParseIP("127.0.0.1")}
	if ip := net.ParseIP(cfg.NodeIP); ip != nil {
		ips = append(ips, ip)
	}
	serving, err := ca.Issue(pki.ServingSpec(cfg.NodeName, []string{cfg.NodeName, "localhost"}, ips))
	if err != nil {
		tb.Fatalf("kubelet serving certificate: %v", err)
	}
	cfg.CertFile, cfg.KeyFile = filepath.Join(dir, "kubelet.crt"), filepath.Join(dir, "kubelet.key")
	if err := pki.WriteKeyPair(serving, cfg.CertFile, cfg.KeyFile); err != nil {
		tb.Fatalf("kubelet serving certificate: %v", err)
	}
	key, err := pki.EncodeKey(client.Key)
	if err != nil {
		tb.Fatalf("kubelet client key: %v", err)
	}
	admin, err := kubeconfig.Load(c.pki.Kubeconfig(clusterpki.AdminName))
	if err != nil {
		tb.Fatalf("admin kubeconfig: %v", err)
	}
	kc := kubeconfig.New("kubelet", admin.Clusters[0].Cluster,
		kubeconfig.AuthInfo{ClientCertificateData: pki.EncodeCert(client.Cert), ClientKeyData: key})
	cfg.Kubeconfig = filepath.Join(dir, "kubelet.kubeconfig")
	if err := kubeconfig.Write(kc, cfg.Kubeconfig); err != nil {
		tb.Fatalf("kubelet kubeconfig: %v", err)
	}
	cfg.ClientCAFile = c.pki.CertFile(clusterpki.CAName)
}

// kubeletTLSFiles is what kubeletTLS needs of a kubelet and the files it gives back.
type kubeletTLSFiles struct {
	NodeName, NodeIP string
	Hollow           bool
	// Set by kubeletTLS.
	Kubeconfig, CertFile, KeyFile, ClientCAFile string
}

// AdminTLSConfig returns a copy of the admin's TLS configuration (the cluster CA and the admin's
// client certificate), for clients the test builds itself; nil with Options.PlainText.
func (c *Cluster) AdminTLSConfig() *tls.Config {
	if c.adminTLS == nil {
		return nil
	}
	return c.adminTLS.Clone()
}
