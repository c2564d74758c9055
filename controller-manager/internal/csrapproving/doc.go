// Package csrapproving is the controller that approves kubelets' client certificate requests by
// itself, as kube-controller-manager's csrapproving does: a request to the
// kubernetes.io/kube-apiserver-client-kubelet signer for CN=system:node:<name>, O=system:nodes,
// with exactly the kubelet client usages, is approved when a SubjectAccessReview says its
// requestor may create certificatesigningrequests/nodeclient (a bootstrapper asking for a new
// node) or, when the requestor is the node named, certificatesigningrequests/selfnodeclient (the
// node renewing its own). Any other request is left for a person (`kubectl certificate
// approve|deny`); the controller never denies.
package csrapproving
