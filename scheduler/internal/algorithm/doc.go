// Package algorithm defines what a scheduling algorithm is made of: predicates, which rule nodes
// in or out for a pod, and priorities, which score the nodes that remain. It also defines the
// values they share: Reason (why a node does not fit, in plain words), CycleState (what one
// scheduling cycle computed once for all nodes) and Listers (the objects besides pods and nodes
// that some priorities read).
//
// A scheduling cycle calls, for the pod being scheduled: every PreFilter, then Filter for each
// node (concurrently across nodes), then for the nodes that passed every PreScore, Score for each
// node (concurrently), and every Normalize. A predicate or priority whose PreFilter or PreScore
// returns ErrSkip sits the cycle out. Filter and Score must only read the CycleState.
package algorithm
