// Package rootcacert is the root CA certificate publisher (Kubernetes' root-ca-cert-publisher): it
// keeps a ConfigMap kube-root-ca.crt holding the cluster's CA certificate (key ca.crt) in every
// active namespace, so that a pod's projected service account volume can carry the certificate
// its client verifies the apiserver with.
package rootcacert
