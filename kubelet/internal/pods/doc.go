// Package pods runs the kubelet's pods: one worker goroutine per pod drives the container runtime
// (through cri.Runtime alone) toward the pod's spec, and a status manager writes what the workers
// observe to the API server.
//
// Workers are level-based. Each sync reads the pod's sandboxes and containers back from the
// runtime (their labels say which pod and container they belong to, so a restarted kubelet adopts
// what ran before it), decides the next actions as Kubernetes' kubelet does (sandbox, init
// containers in order, app containers, restarts by policy with crash-loop backoff, liveness
// kills), performs them, and computes the pod's status. A worker syncs when its pod's desired state
// changes, when the relister (a PLEG: every RelistPeriod it lists the runtime and compares) sees
// its pod's containers change, when a probe result flips, when a backoff or deadline it waits for
// is due, and again at once after every action it took.
//
// A pod leaves the desired set or gets a deletionTimestamp: its worker runs preStop hooks, stops
// the containers with the grace period, stops and removes the sandbox, and (for a pod of the API)
// confirms the deletion with a zero grace period and a UID precondition.
package pods
