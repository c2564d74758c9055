// Package e2e drives the built binaries in bin/ (run `make build` first; `make test` does) and the
// real kubectl, as a user would.
//
// Every cluster it starts is secure, as `make run`'s is: bin/keelson-pki generates the cluster's
// CA, certificates and kubeconfigs (clusterPKI), the apiserver serves TLS only, verifies client
// certificates and authorizes with Node,RBAC, kubectl runs as the admin, and every daemon reaches
// the apiserver with its own identity: the scheduler, the controller manager and the proxy with
// theirs, each kubelet as system:node:<name> with a serving certificate for its node's address.
package e2e
