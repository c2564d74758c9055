// Package csrsigning is the controller that issues the certificates of approved requests to
// Kubernetes' built-in signers (kubernetes.io/kube-apiserver-client-kubelet,
// kubernetes.io/kube-apiserver-client and kubernetes.io/kubelet-serving) with the cluster CA
// (--cluster-signing-cert-file, --cluster-signing-key-file), as kube-controller-manager's
// csrsigning does. A request the signer's rules refuse, or that the CA cannot sign, is marked
// Failed with the reason; it is never retried.
package csrsigning
