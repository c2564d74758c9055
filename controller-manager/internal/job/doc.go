// Package job runs batch/v1 Jobs to completion.
//
// A reconcile of one Job:
//   - claims its pods: those it controls that match its selector, adopting matching orphans and
//     releasing controlled pods that stopped matching (updates guarded on resourceVersion);
//   - counts them: active (neither terminated nor being deleted), ready, succeeded and failed.
//     In Indexed mode a pod's index comes from its batch.kubernetes.io/job-completion-index
//     annotation and the succeeded indexes accumulate in status.completedIndexes;
//   - finishes the Job when it can: Complete once completions pods (or indexes) succeeded, or,
//     without completions, once one pod succeeded and none is active; Failed with
//     BackoffLimitExceeded once more than backoffLimit pods failed, or with DeadlineExceeded once
//     activeDeadlineSeconds passed since startTime. A finishing Job deletes its active pods;
//   - otherwise, once its expectations are met, creates pods up to parallelism (never more than
//     the completions still missing), holding new pods back after failures for the pod-failure
//     backoff (10 s doubling per consecutive failure, capped at 6 minutes, as Kubernetes), and
//     deletes the surplus (a lowered parallelism, a suspended Job, duplicate indexes);
//   - writes status: active, ready, succeeded, failed, startTime, completionTime,
//     completedIndexes and the conditions;
//   - deletes a finished Job with background propagation ttlSecondsAfterFinished after it
//     finished, as Kubernetes' ttl-after-finished controller does.
//
// The counts of succeeded and failed pods are read from the pods that exist, and never go down:
// a terminated pod removed before the Job finished stays counted once it was written to status,
// but a pod that terminated and was removed between two reconciles is not seen. Kubernetes closes
// that gap with the batch.kubernetes.io/job-tracking finalizer, which this controller does not
// put on pods.
package job
