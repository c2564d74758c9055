package clusterpki

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// Spec says what to generate.
type Spec struct {
	// Dir holds the certificates and keys (<name>.crt, <name>.key, sa.key, sa.pub).
	Dir string
	// KubeconfigDir holds a kubeconfig per component (<name>.kubeconfig) and the admin's, named
	// kubeconfig. Empty: Dir.
	KubeconfigDir string
	// Server is the API server URL the kubeconfigs name, e.g. https://127.0.0.1:6443.
	Server string
	// ClusterName names the cluster, the CA and the kubeconfigs' entries (default "keelson").
	ClusterName string
	// ServiceCIDR is the cluster IP range; its first address, the kubernetes Service's, is a SAN of
	// the serving certificate. Empty: none.
	ServiceCIDR string
	// AdvertiseAddresses and ExtraSANs (IP addresses or DNS names) are added to the serving
	// certificate's SANs.
	AdvertiseAddresses []string
	ExtraSANs          []string
	// Nodes get a kubelet client certificate and kubeconfig each, and a kubelet serving
	// certificate for their name and loopback.
	Nodes []string
}

// Cluster is a generated cluster's PKI.
type Cluster struct {
	Spec
	CA *pki.CA
}

// CertFile returns the path of the named certificate.
func (c *Cluster) CertFile(name string) string { return filepath.Join(c.Dir, name+".crt") }

// KeyFile returns the path of the named key.
func (c *Cluster) KeyFile(name string) string { return filepath.Join(c.Dir, name+".key") }

// Kubeconfig returns the path of the named component's kubeconfig; AdminName's is "kubeconfig".
func (c *Cluster) Kubeconfig(name string) string {
	if name == AdminName {
		return filepath.Join(c.KubeconfigDir, "kubeconfig")
	}
	return filepath.Join(c.KubeconfigDir, name+".kubeconfig")
}

// ServiceAccountKeyFile and ServiceAccountPublicKeyFile are the service-account signing key and
// its public half.
func (c *Cluster) ServiceAccountKeyFile() string {
	return filepath.Join(c.Dir, ServiceAccountName+".key")
}

// ServiceAccountPublicKeyFile is the service-account verification key.
func (c *Cluster) ServiceAccountPublicKeyFile() string {
	return filepath.Join(c.Dir, ServiceAccountName+".pub")
}

// KeyPair reads the named key pair.
func (c *Cluster) KeyPair(name string) (*pki.KeyPair, error) {
	return pki.ReadKeyPair(c.CertFile(name), c.KeyFile(name))
}

// Generate writes the cluster's PKI and kubeconfigs as spec says. It keeps an existing CA, and
// every existing certificate that the CA signed for the same subject and names; it rewrites the
// kubeconfigs.
func Generate(spec Spec) (*Cluster, error) {
	if spec.Dir == "" {
		return nil, errors.New("pki: no directory")
	}
	if spec.Server == "" {
		return nil, errors.New("pki: no server URL for the kubeconfigs")
	}
	if spec.KubeconfigDir == "" {
		spec.KubeconfigDir = spec.Dir
	}
	if spec.ClusterName == "" {
		spec.ClusterName = "keelson"
	}
	c := &Cluster{Spec: spec}
	serving, err := c.servingSpec()
	if err != nil {
		return nil, err
	}
	if c.CA, err = c.ensureCA(); err != nil {
		return nil, err
	}
	if err := c.ensure(APIServerName, serving); err != nil {
		return nil, err
	}
	clients := map[string]Identity{
		APIServerClientName:   APIServer,
		AdminName:             Admin,
		SchedulerName:         Scheduler,
		ControllerManagerName: ControllerManager,
		ProxyName:             Proxy,
	}
	for _, n := range spec.Nodes {
		clients[KubeletName(n)] = Node(n)
		// The kubelet API's certificate, for the node's name and loopback, where local nodes serve.
		kubelet := pki.ServingSpec(n, []string{n, "localhost"}, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")})
		if err := c.ensure(KubeletServingName(n), kubelet); err != nil {
			return nil, err
		}
	}
	for name, id := range clients {
		if err := c.ensure(name, pki.ClientSpec(id.User, id.Groups...)); err != nil {
			return nil, err
		}
		if name == APIServerClientName {
			continue
		}
		if err := c.writeKubeconfig(name); err != nil {
			return nil, err
		}
	}
	if err := c.ensureServiceAccountKey(); err != nil {
		return nil, err
	}
	return c, nil
}

// servingSpec is the API server's serving certificate: loopback, the kubernetes Service's names
// and cluster IP, and every advertised address and extra name.
func (c *Cluster) servingSpec() (pki.CertSpec, error) {
	return APIServerServingSpec(c.ServiceCIDR, append(slices.Clone(c.AdvertiseAddresses), c.ExtraSANs...)...)
}

// APIServerServingSpec is an API server's serving certificate: for localhost and 127.0.0.1 and
// ::1, the kubernetes Service's names and, when serviceCIDR is given, its cluster IP (the range's
// first address), and each of names, an IP address or a DNS name.
func APIServerServingSpec(serviceCIDR string, names ...string) (pki.CertSpec, error) {
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if serviceCIDR != "" {
		p, err := netip.ParsePrefix(serviceCIDR)
		if err != nil {
			return pki.CertSpec{}, fmt.Errorf("pki: service CIDR: %w", err)
		}
		ips = append(ips, net.IP(p.Masked().Addr().Next().AsSlice()))
	}
	for _, s := range names {
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
		} else if s != "" {
			dns = append(dns, s)
		}
	}
	return pki.ServingSpec("kube-apiserver", dedup(dns), dedupIPs(ips)), nil
}

func (c *Cluster) ensureCA() (*pki.CA, error) {
	certFile, keyFile := c.CertFile(CAName), c.KeyFile(CAName)
	ca, err := pki.ReadCA(certFile, keyFile)
	if err == nil {
		return ca, nil
	}
	if _, statErr := os.Stat(certFile); !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("pki: keep the existing CA: %w", err)
	}
	if ca, err = pki.NewCA(c.ClusterName+"-ca", 0); err != nil {
		return nil, err
	}
	if err := pki.WriteKeyPair(&ca.KeyPair, certFile, keyFile); err != nil {
		return nil, err
	}
	return ca, nil
}

// ensure issues the named key pair unless the existing one fits spec.
func (c *Cluster) ensure(name string, spec pki.CertSpec) error {
	if kp, err := c.KeyPair(name); err == nil && fits(kp.Cert, c.CA.Cert, spec) {
		return nil
	}
	kp, err := c.CA.Issue(spec)
	if err != nil {
		return fmt.Errorf("pki: %s: %w", name, err)
	}
	return pki.WriteKeyPair(kp, c.CertFile(name), c.KeyFile(name))
}

// fits reports whether cert is ca's, valid, and for spec's subject, names and usage.
func fits(cert, ca *x509.Certificate, spec pki.CertSpec) bool {
	if pki.Verify(cert, ca, spec.Usages[0]) != nil {
		return false
	}
	ips := make([]string, 0, len(cert.IPAddresses))
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	want := make([]string, 0, len(spec.IPs))
	for _, ip := range spec.IPs {
		want = append(want, ip.String())
	}
	return cert.Subject.CommonName == spec.CommonName &&
		slices.Equal(cert.Subject.Organization, spec.Organization) &&
		slices.Equal(cert.DNSNames, spec.DNSNames) && slices.Equal(ips, want)
}

// writeKubeconfig writes the named client's kubeconfig, with its certificates embedded so that
// it stands alone.
func (c *Cluster) writeKubeconfig(name string) error {
	kp, err := c.KeyPair(name)
	if err != nil {
		return err
	}
	key, err := pki.EncodeKey(kp.Key)
	if err != nil {
		return err
	}
	entry := c.ClusterName
	if name != AdminName {
		entry = name + "@" + c.ClusterName
	}
	cfg := kubeconfig.New(entry,
		kubeconfig.Cluster{Server: c.Server, CertificateAuthorityData: pki.EncodeCert(c.CA.Cert)},
		kubeconfig.AuthInfo{ClientCertificateData: pki.EncodeCert(kp.Cert), ClientKeyData: key})
	return kubeconfig.Write(cfg, c.Kubeconfig(name))
}

// ensureServiceAccountKey writes the key service-account tokens are signed with, unless it
// exists, and its public half.
func (c *Cluster) ensureServiceAccountKey() error {
	var key crypto.Signer
	if data, err := os.ReadFile(c.ServiceAccountKeyFile()); err == nil {
		if key, err = pki.ParseKey(data); err != nil {
			return fmt.Errorf("pki: keep the service-account key: %w", err)
		}
	} else {
		k, err := pki.NewKey()
		if err != nil {
			return err
		}
		priv, err := pki.EncodeKey(k)
		if err != nil {
			return err
		}
		if err := pki.WriteFile(c.ServiceAccountKeyFile(), priv, 0o600); err != nil {
			return err
		}
		key = k
	}
	pub, err := pki.EncodePublicKey(key.Public())
	if err != nil {
		return err
	}
	return pki.WriteFile(c.ServiceAccountPublicKeyFile(), pub, 0o644)
}

func dedup(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func dedupIPs(ips []net.IP) []net.IP {
	var out []net.IP
	for _, ip := range ips {
		if !slices.ContainsFunc(out, ip.Equal) {
			out = append(out, ip)
		}
	}
	return out
}
