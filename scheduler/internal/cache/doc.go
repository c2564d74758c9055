// Package cache is the scheduler's own view of the cluster: every node with the pods assigned to
// it and what they request, use and hold. The informers feed it nodes and assigned pods; the
// scheduling loop assumes a pod onto its chosen node before the binding is written, so the next
// decision already counts it, and forgets the assumption when the binding fails. The informer's
// update that shows the pod bound confirms the assumption; an assumption never confirmed expires
// a while after its binding finished.
//
// UpdateSnapshot refreshes a Snapshot incrementally: only nodes changed since the snapshot's
// generation are cloned, so a cycle on a large cluster copies a handful of nodes, not all.
package cache
