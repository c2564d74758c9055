// Package garbagecollector is the garbage collector: it keeps a graph of ownerReferences over
// every kind the API serves, built from the shared informers (one watch per resource), and
// deletes objects whose owners are gone.
//
// Deleting an owner propagates as the delete asked (the apiserver records the request as a
// finalizer on the owner):
//   - Background (the default): the owner goes at once; its dependents, now dangling, are
//     deleted after it.
//   - Foreground: the owner stays, marked for deletion with the "foregroundDeletion" finalizer,
//     while its dependents are deleted; once none with blockOwnerDeletion is left the finalizer
//     is removed and the owner goes.
//   - Orphan: the owner stays with the "orphan" finalizer until every dependent's
//     ownerReference to it has been removed; then the finalizer is removed.
//
// Dependents whose owner vanished while no collector ran are found when the collector starts:
// each object with an owner the graph does not hold is checked with a live GET of the owner,
// and deleted when the owner is not there (or is another object of the same name).
package garbagecollector
