// Package replicaset keeps ReplicaSets and ReplicationControllers at their desired number of pods.
// One reconcile serves both kinds: a Kind adapts a workload type (its selector, template,
// replicas and status) to it, as Kubernetes treats a ReplicationController as an older version
// of a ReplicaSet.
//
// A reconcile of one workload:
//   - claims pods: every active pod of its namespace that it controls and that still matches its
//     selector; it adopts matching orphans (an ownerReference with controller and
//     blockOwnerDeletion true) and releases pods it controls that stopped matching;
//   - when its expectations are met (every create and delete it asked for has shown up in the
//     pod informer), creates the missing pods from the template, or deletes the surplus, least
//     valuable first, in slow-start batches (1, 2, 4, ...; a failing batch stops the rest);
//   - writes status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas
//     (ready for minReadySeconds), observedGeneration and the ReplicaFailure condition.
//
// A pod that is being deleted (deletionTimestamp set) or has terminated is not active: it is
// neither counted nor claimed. Ownership is changed by an update guarded on the pod's
// resourceVersion, so a pod another writer changed meanwhile is claimed again on the retry
// rather than overwritten.
package replicaset
