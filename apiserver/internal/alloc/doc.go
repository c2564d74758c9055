// Package alloc hands out the cluster IPs and node ports of Services, as Kubernetes' service IP and
// node port allocators do.
//
// Each range (cluster IPs from --service-cluster-ip-range, node ports from
// --service-node-port-range) is a bitmap stored in one etcd key (/registry/ranges/serviceips and
// /registry/ranges/servicenodeports). Every change to a bitmap is a write guarded on the revision
// it read, retried on conflict, so two apiservers never hand out one value twice. A Service takes
// its values before it is stored and gives them back when its write fails; a Service that is
// deleted or changes type gives back what it no longer holds. A crash between the two leaves a
// value marked without a Service: Repair, run at start and periodically, rebuilds the bitmaps
// from the stored Services and frees such leaks.
//
// Kubernetes keeps the kubernetes Service and its Endpoints, which list exactly the live
// apiservers: each replica holds an identity Lease in kube-system (LeaseName) and every replica
// reconciles the Endpoints from the leases that have not run out.
package alloc
