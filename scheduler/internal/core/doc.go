// Package core is the scheduling algorithm proper: given a pod and a snapshot of the nodes, it
// runs the predicates on the nodes in parallel until it has found enough feasible ones (all of
// them on small clusters, an adaptive percentage on large ones), scores those with the weighted
// priorities, and picks the node with the highest total, breaking ties at random. When no node
// fits it returns a *FitError that explains, node by node or grouped by reason, why.
package core
