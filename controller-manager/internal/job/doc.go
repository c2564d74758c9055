// Package job runs batch/v1 Jobs to completion.
//
// A reconcile of one Job:
//   - claims its pods: those it controls that match its selector, adopting matching orphans and
//     releasing controlled pods that stopped matching (updates guarded on resourceVersion);
//   - counts the ones that terminated (see below) and the active (neither terminated nor being
//     deleted) and ready ones. In Indexed mode a pod's index comes from its
//     batch.kubernetes.io/job-completion-index annotation and the succeeded indexes accumulate
//     in status.completedIndexes;
//   - finishes the Job when it can: Complete once completions pods (or indexes) succeeded, or,
//     without completions, once one pod succeeded and none is active; Failed with
//     BackoffLimitExceeded once more than backoffLimit pods failed, or with DeadlineExceeded once
//     activeDeadlineSeconds passed since startTime. A finishing Job deletes its active pods,
//     which count as failed;
//   - otherwise, once its expectations are met, creates pods up to parallelism (never more than
//     the completions still missing), holding new pods back after failures for the pod-failure
//     backoff (10 s doubling per consecutive failure, capped at 6 minutes, as Kubernetes), and
//     deletes the surplus (a lowered parallelism, a suspended Job, duplicate indexes);
//   - writes status: active, ready, succeeded, failed, startTime, completionTime,
//     completedIndexes and the conditions;
//   - deletes a finished Job with background propagation ttlSecondsAfterFinished after it
//     finished, as Kubernetes' ttl-after-finished controller does.
//
// Pods are counted through the batch.kubernetes.io/job-tracking finalizer, as Kubernetes does:
// every pod of a Job carries it from its creation (or adoption); a pod that terminated (or is
// being deleted before it succeeded, which counts as a failure) is first written into
// status.uncountedTerminatedPods, then loses the finalizer, then moves into the succeeded or
// failed count. The counts therefore survive the pods, and no pod is counted twice: a pod whose
// finalizer removal the pod informer has not shown yet is skipped. A Job is marked finished
// only once no pod is left uncounted. Pods of a Job that was deleted or replaced lose the
// finalizer uncounted.
package job
