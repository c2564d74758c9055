// Package nodeaffinity compiles a pod's node constraints — spec.nodeSelector and the required and
// preferred terms of spec.affinity.nodeAffinity — and matches them against nodes with Kubernetes'
// semantics: a selector's labels must all match; of the required terms one must match; a term
// matches when all its expressions and fields do; an empty term matches nothing.
//
// It is the one implementation of those rules: the scheduler filters and scores nodes with it, the
// DaemonSet controller decides which nodes should run a daemon pod, and the kubelet's admission
// refuses a pod whose node does not satisfy it. A pod is compiled once (NewRequired, NewPreferred)
// and the result matched against many nodes; compiling reports a bad term with the path of the
// field at fault, so the caller can say why a pod fits nowhere.
package nodeaffinity
