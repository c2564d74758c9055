// Package quota says what an object counts against a ResourceQuota and whether a charge fits a
// quota's hard limits. The resource quota controller sums it over a namespace to fill
// status.used; the apiserver's quota admission charges it on create. Both read the rules here so
// the sum the controller writes and the charge admission makes never disagree.
//
// Resource names follow Kubernetes: "pods", "services", "services.nodeports",
// "services.loadbalancers", "configmaps", "secrets", "replicationcontrollers", "resourcequotas",
// "persistentvolumeclaims", "count/<resource>.<group>" (core kinds "count/<resource>"), and a
// pod's compute resources as "requests.<name>", "limits.<name>" and bare "cpu"/"memory" (which
// mean requests).
package quota
