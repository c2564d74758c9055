// Package nodeaffinity compiles a pod's node constraints — spec.nodeSelector and the required and
// preferred terms of spec.affinity.nodeAffinity — and matches them against nodes with Kubernetes'
// semantics: a selector's labels must all match; of the required terms one must match; a term
// matches when all its expressions and fields do; an empty term matches nothing.
package nodeaffinity
