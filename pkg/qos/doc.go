// Package qos computes a pod's quality-of-service class the way Kubernetes does: Guaranteed when
// every container limits cpu and memory and requests exactly its limits, BestEffort when no
// container requests or limits either, Burstable otherwise. The kubelet uses the class to place a
// pod's cgroup and the apiserver may record it in status.qosClass.
package qos
