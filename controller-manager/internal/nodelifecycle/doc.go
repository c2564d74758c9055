// Package nodelifecycle is the node lifecycle controller: it watches node Leases in
// kube-node-lease and node status, marks a node whose kubelet went silent for longer than the
// grace period unhealthy (its kubelet conditions Unknown, reason NodeStatusUnknown), keeps the
// node.kubernetes.io condition taints (not-ready, unreachable, the pressure ones, unschedulable)
// in line with the node's state, and evicts the pods of NoExecute-tainted nodes once their
// tolerations run out.
//
// The NoExecute taints that start evictions are rate-limited per zone (the
// topology.kubernetes.io/zone label) as Kubernetes does: a healthy zone taints at the primary
// rate, a partially disrupted one (at least three and UnhealthyZoneThreshold of its nodes not
// ready) at the secondary rate when it is large and not at all when small, and when every zone is
// fully disrupted (no ready node anywhere) the controller assumes its own connectivity is at fault:
// it taints no node for eviction and removes the NoExecute taints it set.
package nodelifecycle
