// Package csr holds the rules of certificates.k8s.io/v1 CertificateSigningRequests that the
// apiserver, the controller manager and the kubelet share: the well-known signer names, the key
// usages and how they map to X.509, parsing a request's PEM, and reading its conditions.
package csr
