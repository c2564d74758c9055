// Package nodeinfo holds what the scheduler knows about one node and the pods on it: the node
// object, the resources its pods request, the host ports and hostPath volumes they use, the images
// the node holds, and which of its pods carry affinity rules. It also defines PodInfo, a pod with
// the values the predicates and priorities need parsed once, and Snapshot, the read-only view of
// every node that one scheduling cycle works on.
//
// NodeInfo and PodInfo are not safe for concurrent mutation; the cache mutates its own copies
// under its lock and hands out clones in snapshots, which are only read.
package nodeinfo
