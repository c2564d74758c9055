// Package deployment is the Deployment controller: it rolls a Deployment's pod template out
// through ReplicaSets it owns, one per template, told apart by the pod-template-hash label.
//
// A reconcile reads the Deployment and its ReplicaSets from the informer cache, claims the
// ReplicaSets its selector matches (adopting orphans and releasing those that stop matching),
// finds the ReplicaSet of the current template (creating it, named <deployment>-<hash>, when a
// rollout may start), then moves replicas from the old ReplicaSets to the new one as the strategy
// allows: Recreate scales every old ReplicaSet to zero and waits for their pods to go before it
// scales the new one up; RollingUpdate keeps the total within replicas+maxSurge and the available
// pods above replicas-maxUnavailable. A paused Deployment is only scaled, and a scale during a
// rollout is spread over the ReplicaSets in proportion to their sizes. The status counts the
// ReplicaSets' replicas and carries the Progressing and Available conditions; old ReplicaSets
// beyond revisionHistoryLimit are deleted once they have no replicas.
//
// Every ReplicaSet carries the deployment.kubernetes.io/revision annotation (and revision-history,
// desired-replicas, max-replicas) as Kubernetes writes them, which is what `kubectl rollout
// history` reads and `kubectl rollout undo` relies on: undo patches the Deployment's template back
// to an old ReplicaSet's, which then becomes the new ReplicaSet with the next revision.
package deployment
