// Package queue is the scheduling queue: the pods waiting for a node, in three places.
//
//   - The active queue holds pods ready for an attempt, highest spec.priority first, then oldest
//     (by creation time) first. Pop hands them out one at a time.
//   - The unschedulable set holds pods that fit no node at their last attempt. They go back to
//     the active queue when the cluster changes in a way that may let them fit (a node added or
//     changed, a pod deleted: MoveAllToActive; a pod placed that their affinity wants:
//     MoveAffinityPodsToActive), or when their backoff has passed, whichever comes first.
//   - The backoff queue holds pods whose attempt failed for another reason (the binding could
//     not be written); they go back once their backoff has passed.
//
// A pod's backoff doubles with each attempt, from the initial backoff (1 s by default) to the
// maximum (10 s). Run checks both waiting places every second.
//
// Between Pop and Done a pod is in flight: updates to it are kept for when it comes back, a
// delete makes sure it does not, and a cluster change seen meanwhile sends it straight back to
// the active queue rather than the unschedulable set, so that no change is missed.
package queue
