// Package noderestriction is Kubernetes' NodeRestriction admission: it limits what a kubelet
// (system:node:<name> in system:nodes) may write once the Node authorizer let the request through,
// to its own Node and Lease, the mirror pods of its static pods and the pods bound to it. It also
// keeps the addresses a Node advertises, which the apiserver dials to proxy pods/log, in the hands
// of that node's kubelet: another user may not set them, so it cannot point the apiserver at an
// address of its choosing.
//
// A context without a user is the apiserver's own work and is never restricted.
package noderestriction
