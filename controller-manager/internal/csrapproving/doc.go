// Package csrapproving is the controller that approves kubelets' client certificate requests by
// itself, as kube-controller-manager's csrapproving does: a request to the
// kubernetes.io/kube-apiserver-client-kubelet signer for CN=system:node:<name>, O=system:nodes,
// with exactly the kubelet client usages, is approved when its requestor may ask for it — a
// bootstrapper for a new node (nodeclient), or the node itself renewing (selfnodeclient). Any
// other request is left for a person (`kubectl certificate approve|deny`); the controller never
// denies.
package csrapproving
