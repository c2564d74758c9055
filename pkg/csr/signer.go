package csr

import (
	"strings"
)

// Kubernetes' built-in signers.
const (
	// KubeAPIServerClientSigner issues client certificates the apiserver accepts.
	KubeAPIServerClientSigner = "kubernetes.io/kube-apiserver-client"
	// KubeAPIServerClientKubeletSigner issues kubelets' client certificates
	// (CN=system:node:<name>, O=system:nodes), which csrapproving may approve by itself.
	KubeAPIServerClientKubeletSigner = "kubernetes.io/kube-apiserver-client-kubelet"
	// KubeletServingSigner issues kubelets' serving certificates.
	KubeletServingSigner = "kubernetes.io/kubelet-serving"
	// LegacyUnknownSigner is the certificates.k8s.io/v1beta1 default, refused by v1.
	LegacyUnknownSigner = "kubernetes.io/legacy-unknown"
)

// kubernetesDomain is the signer domain Kubernetes reserves for its own signers.
const kubernetesDomain = "kubernetes.io"

// KnownSigner reports whether name is one of the signers of the kubernetes.io domain that v1
// accepts.
func KnownSigner(name string) bool {
	switch name {
	case KubeAPIServerClientSigner, KubeAPIServerClientKubeletSigner, KubeletServingSigner:
		return true
	}
	return false
}

// ReservedSigner reports whether name lies in a domain Kubernetes reserves (kubernetes.io and
// its subdomains), where only the known signers exist.
func ReservedSigner(name string) bool {
	domain, _, _ := strings.Cut(name, "/")
	return domain == kubernetesDomain || strings.HasSuffix(domain, "."+kubernetesDomain)
}
