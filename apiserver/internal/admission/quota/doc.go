// Package quota is the apiserver's ResourceQuota admission: a create (or an update that raises
// usage) in a namespace is charged against every ResourceQuota there that limits what the object
// counts, and refused with Kubernetes' Forbidden message when the charge would take a quota past
// status.hard. The charge is written into the quota's status.used with a write guarded on the
// quota's revision and retried on conflict, so concurrent creates never overshoot a quota: of N
// racing creates against a quota with room for k, exactly k are admitted. The resource quota
// controller recomputes status.used from what exists, which returns charges of writes that failed
// after admission.
package quota
