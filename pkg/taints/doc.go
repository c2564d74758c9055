// Package taints decides whether a pod's tolerations tolerate a node's taints, as Kubernetes
// defines it, and formats taints for messages.
//
// It is the one implementation of those rules: the scheduler keeps pods off tainted nodes with it,
// the DaemonSet controller decides whether a daemon pod belongs on a tainted node, and the kubelet's
// admission refuses a pod that does not tolerate its node's NoExecute taints. The functions are
// pure and safe for concurrent use.
package taints
