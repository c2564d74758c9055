// Package resourcequota is the resource quota controller: it keeps every ResourceQuota's
// status.hard equal to spec.hard and its status.used equal to what the namespace holds, as
// pkg/quota counts it. It recounts a quota when the quota is made or its spec changes, when an
// object it counts goes away (or a pod finishes), and every sync period for all quotas, so usage
// charged by admission for writes that then failed is given back.
package resourcequota
