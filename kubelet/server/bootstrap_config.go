package server

import (
	"fmt"
	"path/filepath"
	"time"
)

// BootstrapConfig is how the kubelet obtains and renews its client certificate (TLS bootstrap).
// The mapstructure tags are the flag names, Kubernetes' kubelet's.
type BootstrapConfig struct {
	// BootstrapKubeconfig, when set, names a kubeconfig with bootstrap credentials: the kubelet
	// uses them only to ask for a client certificate through a CertificateSigningRequest when
	// neither --kubeconfig nor the certificate directory (--cert-dir, or <root-dir>/pki) holds a
	// valid one, then talks to the API server with that certificate and, --kubeconfig set,
	// writes there a kubeconfig that presents it. The servers are the kubeconfigs', or those of
	// --apiserver when given.
	BootstrapKubeconfig string `mapstructure:"bootstrap-kubeconfig"`
	// RotateCertificates renews the client certificate before it expires.
	RotateCertificates bool `mapstructure:"rotate-certificates"`
	// CertificateExpiration, when positive, is the validity the kubelet asks for
	// (spec.expirationSeconds, at least 10m); zero leaves it to the signer.
	CertificateExpiration time.Duration `mapstructure:"certificate-expiration"`
}

// DefaultBootstrapConfig returns the defaults: no bootstrap, rotation on.
func DefaultBootstrapConfig() BootstrapConfig {
	return BootstrapConfig{RotateCertificates: true}
}

// clientCertDir is where the client certificate lives: certDir (--cert-dir, which also holds a
// self-signed serving certificate), or <rootDir>/pki.
func clientCertDir(certDir, rootDir string) string {
	if certDir != "" {
		return certDir
	}
	return filepath.Join(rootDir, "pki")
}

// Validate reports an expiration under the signers' minimum, and a bootstrap kubeconfig that is
// also kubeconfig (--kubeconfig), which the bootstrap would overwrite.
func (c BootstrapConfig) Validate(kubeconfig string) error {
	if c.CertificateExpiration != 0 && c.CertificateExpiration < 10*time.Minute {
		return fmt.Errorf("--certificate-expiration: must be 0 or at least 10m, got %s", c.CertificateExpiration)
	}
	if c.BootstrapKubeconfig != "" && kubeconfig != "" && filepath.Clean(c.BootstrapKubeconfig) == filepath.Clean(kubeconfig) {
		return fmt.Errorf("--bootstrap-kubeconfig and --kubeconfig: both name %s, which the bootstrap would overwrite with the node's kubeconfig; give --kubeconfig a path of its own", kubeconfig)
	}
	return nil
}
