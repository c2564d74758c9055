package framework

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/pki"
)

// GeneratePKI runs binary (a built keelson-pki) as hack/local-up.sh does to write the PKI spec
// describes: the CA, the apiserver's serving certificate (loopback, spec's service range's first
// address, AdvertiseAddresses and ExtraSANs), the apiserver's kubelet client certificate, a
// client certificate and kubeconfig per component, for the admin and per node in spec.Nodes, a
// kubelet serving certificate per node, and the service account key pair. It returns the PKI
// with its CA read back, so that a test can issue more certificates; it fails the test when
// keelson-pki does or runs for over a minute.
func GeneratePKI(tb testing.TB, binary string, spec clusterpki.Spec) *clusterpki.Cluster {
	tb.Helper()
	if spec.KubeconfigDir == "" {
		spec.KubeconfigDir = spec.Dir
	}
	if spec.ClusterName == "" {
		spec.ClusterName = "keelson"
	}
	args := []string{"--dir", spec.Dir, "--kubeconfig-dir", spec.KubeconfigDir, "--server", spec.Server,
		"--cluster-name", spec.ClusterName, "--service-cluster-ip-range", spec.ServiceCIDR}
	if len(spec.AdvertiseAddresses) > 0 {
		args = append(args, "--advertise-address", strings.Join(spec.AdvertiseAddresses, ","))
	}
	if len(spec.ExtraSANs) > 0 {
		args = append(args, "--apiserver-cert-extra-sans", strings.Join(spec.ExtraSANs, ","))
	}
	if len(spec.Nodes) > 0 {
		args = append(args, "--nodes", strings.Join(spec.Nodes, ","))
	}
	// keelson-pki finishes in well under a second; the bound only keeps a hung run from holding
	// the test until its own timeout.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s: %v: %s", filepath.Base(binary), err, out)
	}
	p := &clusterpki.Cluster{Spec: spec}
	if p.CA, err = pki.ReadCA(p.CertFile(clusterpki.CAName), p.KeyFile(clusterpki.CAName)); err != nil {
		tb.Fatalf("read the generated CA: %v", err)
	}
	return p
}

// IssueKubeletServing replaces node's kubelet serving certificate (clusterpki.KubeletServingName)
// with one that also names nodeIP, the address the apiserver reaches the kubelet API at when the
// node does not serve on loopback, and returns its certificate and key files.
func IssueKubeletServing(tb testing.TB, p *clusterpki.Cluster, node, nodeIP string) (certFile, keyFile string) {
	tb.Helper()
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if ip := net.ParseIP(nodeIP); ip != nil {
		ips = append(ips, ip)
	}
	kp, err := p.CA.Issue(pki.ServingSpec(node, []string{node, "localhost"}, ips))
	if err != nil {
		tb.Fatalf("kubelet serving certificate of %s: %v", node, err)
	}
	name := clusterpki.KubeletServingName(node)
	certFile, keyFile = p.CertFile(name), p.KeyFile(name)
	if err := pki.WriteKeyPair(kp, certFile, keyFile); err != nil {
		tb.Fatalf("kubelet serving certificate of %s: %v", node, err)
	}
	return certFile, keyFile
}
