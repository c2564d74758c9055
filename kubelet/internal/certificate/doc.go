// Package certificate obtains and renews the kubelet's client certificate through
// certificates.k8s.io/v1 CertificateSigningRequests, as Kubernetes' kubelet TLS bootstrap does.
//
// With only bootstrap credentials, the kubelet generates an ECDSA key, asks for a certificate for
// CN=system:node:<node>, O=system:nodes from the kubernetes.io/kube-apiserver-client-kubelet
// signer, waits until the request is approved and signed, and writes certificate and key to
// <cert-dir>/kubelet-client-current.pem (mode 0600). From then on its clients present that
// certificate; at a jittered 70 to 90% of its lifetime the Manager asks for a new one under the
// node's own identity and swaps it in without a restart.
package certificate
