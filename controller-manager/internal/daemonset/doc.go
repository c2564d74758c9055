// Package daemonset runs one pod of each apps/v1 DaemonSet on every node that should run it.
//
// A node should run a DaemonSet's pod when it matches the template's nodeSelector and required
// node affinity and the pod tolerates every NoSchedule and NoExecute taint of the node; a pod
// already there may stay while only NoSchedule taints are untolerated. The pod's tolerations are
// the template's plus those Kubernetes gives every daemon pod: node.kubernetes.io/not-ready and
// unreachable (NoExecute, for ever), disk-pressure, memory-pressure, pid-pressure and
// unschedulable (NoSchedule), and network-unavailable (NoSchedule) for host-network pods.
//
// A reconcile of one DaemonSet:
//   - claims the pods it controls that match its selector, adopting matching orphans and
//     releasing controlled pods that stopped matching (updates guarded on resourceVersion);
//   - once its expectations are met, creates the missing pod of every node that should run one,
//     deletes the pods of nodes that may not keep them (and of nodes that are gone), the extra
//     pods of a node, and failed pods (replaced on the next reconcile);
//   - with the RollingUpdate strategy, deletes pods of an older template so that at most
//     maxUnavailable nodes (an integer, or a percentage of desiredNumberScheduled rounded up) are
//     without an available pod; OnDelete replaces a pod only once the user deleted it;
//   - writes status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
//     numberReady, numberAvailable, numberUnavailable, updatedNumberScheduled and
//     observedGeneration.
//
// Each pod is pinned to its node with required node affinity on matchFields metadata.name, as
// Kubernetes does, and the scheduler binds it there. The API has no ControllerRevision: a pod's
// template is identified by the controller-revision-hash label, a hash of the DaemonSet's
// template, and pod-template-generation carries the DaemonSet's generation at creation.
package daemonset
