// Package statefulset is the StatefulSet controller: it runs pods with stable identities
// (<set>-<ordinal>, hostname, subdomain), creates them in ordinal order and removes them in
// reverse (OrderedReady), or all at once (Parallel), and rolls a new template out from the highest
// ordinal down to the partition, one pod at a time. Each template the set has had is kept as a
// ControllerRevision owned by the set, as Kubernetes does, so a pod can be recreated at the revision
// it belongs to and `kubectl rollout history` can list them.
package statefulset
