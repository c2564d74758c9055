// Package predicates holds the scheduler's predicates, each in its own file: whether a node is
// ready and schedulable, whether it is the node the pod names, whether the pod's host ports,
// resources, hostPath volumes, node selector and affinity, tolerations and inter-pod
// (anti-)affinity fit it. Every failure comes with a Reason in plain words.
//
// The Name* constants are the keys the predicates are registered under in algorithm providers.
package predicates

import "github.com/keelson-dev/keelson/scheduler/internal/algorithm"

// The predicates' names.
const (
	NameCheckNodeCondition     = "CheckNodeCondition"
	NameCheckNodeUnschedulable = "CheckNodeUnschedulable"
	NameHostName               = "HostName"
	NamePodFitsHostPorts       = "PodFitsHostPorts"
	NameMatchNodeSelector      = "MatchNodeSelector"
	NamePodFitsResources       = "PodFitsResources"
	NameNoDiskConflict         = "NoDiskConflict"
	NamePodToleratesNodeTaints = "PodToleratesNodeTaints"
	NameMatchInterPodAffinity  = "MatchInterPodAffinity"
)

// internalError is the reason a predicate gives when its PreFilter did not run, which only a bug
// in the scheduler causes; it is reported rather than hidden.
func internalError(err error) []algorithm.Reason {
	return []algorithm.Reason{{Summary: "scheduler internal error", Detail: "scheduler internal error: " + err.Error()}}
}
