// Package node is the Node authorizer (--authorization-mode=Node): it lets a kubelet, the user
// system:node:<name> in group system:nodes, read and write what its node needs and nothing more
// of what is tied to pods: the pods bound to it, and the secrets, config maps, persistent volume
// claims and service accounts those pods reference. A Graph, fed from the registry's pod watch
// cache, holds those relationships; every decision is a few map lookups.
//
// A request the authorizer does not allow gets NoOpinion, so an authorizer after it (RBAC) may
// still allow it, as in Kubernetes' Node,RBAC order. What an allowed write may carry (a mirror
// pod's spec, a node's labels and addresses) is NodeRestriction admission's to check.
package node
