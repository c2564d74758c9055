package server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// nodeKubeconfigName names the cluster, user and context of the kubeconfig a bootstrap writes.
const nodeKubeconfigName = "default"

// usableKubeconfig reports whether the kubelet can use the kubeconfig at path as it is instead
// of bootstrapping, as Kubernetes' kubelet decides: the file loads and its current context names
// an https server, a certificate authority and a client certificate valid at now. It returns the
// resolved context when so; otherwise nil and why not, and the kubelet bootstraps and writes the
// file anew. It fails only when path cannot even be looked at: a bootstrap would then overwrite
// a file the kubelet cannot read.
func usableKubeconfig(path string, now time.Time) (*kubeconfig.Resolved, string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, "it does not exist", nil
	} else if err != nil {
		return nil, "", fmt.Errorf("--kubeconfig: %w: make it readable by the kubelet, or remove it to bootstrap again", err)
	}
	kc, err := kubeconfig.Load(path)
	if err != nil {
		return nil, err.Error(), nil
	}
	r, err := kc.Resolve("")
	switch {
	case err != nil:
		return nil, err.Error(), nil
	case !r.Secure:
		return nil, "its server is not https", nil
	case r.TLS.RootCAs == nil:
		return nil, "it names no certificate-authority", nil
	case len(r.TLS.Certificates) == 0:
		return nil, "it names no client certificate", nil
	}
	leaf := r.TLS.Certificates[0].Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(r.TLS.Certificates[0].Certificate[0]); err != nil {
			return nil, fmt.Sprintf("its client certificate does not parse: %v", err), nil
		}
		r.TLS.Certificates[0].Leaf = leaf
	}
	if now.Before(leaf.NotBefore) || !now.Before(leaf.NotAfter) {
		return nil, fmt.Sprintf("its client certificate is valid from %s to %s", leaf.NotBefore.UTC().Format(time.RFC3339),
			leaf.NotAfter.UTC().Format(time.RFC3339)), nil
	}
	return r, "", nil
}

// writeNodeKubeconfig writes at path a kubeconfig that reaches the cluster of the bootstrap
// kubeconfig at bootstrapPath as the node: that cluster's server and TLS settings, with its CA
// embedded so that the file outlives the bootstrap kubeconfig, and a user whose client
// certificate and key are both certFile, the certificate store's current file. Rotation replaces
// that file in place, so the kubeconfig stays valid across rotations. The file is written with
// mode 0600 through a temporary file renamed into place: a reader sees the old file or the new
// one, never half of it.
func writeNodeKubeconfig(path, bootstrapPath, certFile string) error {
	kc, err := kubeconfig.Load(bootstrapPath)
	if err != nil {
		return fmt.Errorf("--bootstrap-kubeconfig: %w", err)
	}
	cluster, err := kc.Cluster("")
	if err != nil {
		return fmt.Errorf("--bootstrap-kubeconfig %s: %w", bootstrapPath, err)
	}
	if cluster.CertificateAuthority != "" {
		data, err := os.ReadFile(cluster.CertificateAuthority)
		if err != nil {
			return fmt.Errorf("--bootstrap-kubeconfig %s: certificate-authority: %w", bootstrapPath, err)
		}
		cluster.CertificateAuthority, cluster.CertificateAuthorityData = "", data
	}
	// A relative path would be read against the kubeconfig's directory, not the kubelet's.
	certFile, err = filepath.Abs(certFile)
	if err != nil {
		return fmt.Errorf("client certificate file: %w", err)
	}
	user := kubeconfig.AuthInfo{ClientCertificate: certFile, ClientKey: certFile}
	if err := kubeconfig.Write(kubeconfig.New(nodeKubeconfigName, cluster, user), path); err != nil {
		return fmt.Errorf("--kubeconfig: %w: make its directory writable by the kubelet, or point --kubeconfig elsewhere", err)
	}
	return nil
}
