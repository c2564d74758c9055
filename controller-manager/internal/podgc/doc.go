// Package podgc is the pod garbage collector: every check period it deletes the oldest
// terminated pods beyond the terminated-pod threshold, the pods bound to nodes that no longer
// exist (once a node has been missing for a quarantine period and the API confirms it is gone),
// and the pods being deleted that were never scheduled, which no kubelet will ever confirm.
package podgc
