// Package nodestatus registers a kubelet's Node with the API server and keeps its status: the
// addresses, the Ready / MemoryPressure / DiskPressure / PIDPressure conditions computed from the
// machine with Kubernetes' eviction-threshold defaults, capacity and allocatable, nodeInfo and the
// kubelet's endpoint port.
//
// The machine is read through Machine, so tests and hollow nodes inject their own figures; Proc
// reads the real ones from /proc, /sys, /etc and statfs.
package nodestatus
