// Package serviceaccount is Kubernetes' ServiceAccount admission for pods: a pod created without a
// service account runs as "default", and, unless the pod or its account turns
// automountServiceAccountToken off, it gets the projected volume kube-api-access-<suffix> mounted at
// /var/run/secrets/kubernetes.io/serviceaccount in every container: a token the kubelet requests
// bound to the pod (token), the cluster's CA certificate from the ConfigMap kube-root-ca.crt
// (ca.crt) and the pod's namespace (namespace) — what client-go's in-cluster configuration reads.
// Mirror pods are left alone: a kubelet may not give them credentials.
package serviceaccount
