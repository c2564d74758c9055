package nodestatus

import (
	"runtime"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Condition types and the reasons the kubelet gives, as Kubernetes names them.
const (
	ConditionReady          = "Ready"
	ConditionMemoryPressure = "MemoryPressure"
	ConditionDiskPressure   = "DiskPressure"
	ConditionPIDPressure    = "PIDPressure"
)

// Thresholds are the hard eviction thresholds under which a node reports pressure, Kubernetes'
// defaults by DefaultThresholds: memory.available<100Mi, nodefs.available<10%,
// imagefs.available<15% and pid.available<10%.
type Thresholds struct {
	MemoryAvailable int64   // bytes
	NodeFSAvailable float64 // fraction of capacity
	// ImageFSAvailable applies to the same filesystem as nodefs: the process runtime keeps no
	// separate image filesystem.
	ImageFSAvailable float64
	PIDAvailable     float64
}

// DefaultThresholds returns Kubernetes' default hard eviction thresholds.
func DefaultThresholds() Thresholds {
	return Thresholds{MemoryAvailable: 100 << 20, NodeFSAvailable: 0.10, ImageFSAvailable: 0.15, PIDAvailable: 0.10}
}

// Info is what a node's status says besides the machine's figures.
type Info struct {
	NodeIP   string
	Hostname string
	// KubeletPort is status.daemonEndpoints.kubeletEndpoint.Port.
	KubeletPort    int32
	MaxPods        int64
	SystemReserved resource.List
	KubeReserved   resource.List
	Thresholds     Thresholds
	KubeletVersion string
}

// Health is what the kubelet knows of its own readiness when it builds a status.
type Health struct {
	// RuntimeVersion is nodeInfo.containerRuntimeVersion (<name>://<version>).
	RuntimeVersion string
	// RuntimeErr, when set, makes the node NotReady with its message.
	RuntimeErr error
	// ShuttingDown makes the node NotReady: it is terminating its pods before it goes away.
	ShuttingDown bool
}

// ShutdownMessage is the Ready condition's message while the node shuts down, as Kubernetes'.
const ShutdownMessage = "node is shutting down"

// Build returns the node status the figures and info give. Conditions carry no times: Merge
// sets them against the status last posted.
func Build(f Figures, info Info, h Health) *corev1.NodeStatus {
	capacity := resource.List{
		"cpu":               resource.NewQuantity(f.CPUs, resource.DecimalSI),
		"memory":            resource.NewQuantity(f.MemoryTotal, resource.BinarySI),
		"ephemeral-storage": resource.NewQuantity(f.FSCapacity, resource.BinarySI),
		"pods":              resource.NewQuantity(info.MaxPods, resource.DecimalSI),
	}
	// Allocatable is capacity minus what is reserved and minus the hard eviction thresholds, as
	// Kubernetes' node allocatable is.
	evict := resource.List{
		"memory":            resource.NewQuantity(info.Thresholds.MemoryAvailable, resource.BinarySI),
		"ephemeral-storage": resource.NewQuantity(int64(float64(f.FSCapacity)*info.Thresholds.NodeFSAvailable), resource.BinarySI),
	}
	allocatable := resource.List{}
	for name, q := range capacity {
		for _, minus := range []resource.List{info.SystemReserved, info.KubeReserved, evict} {
			if r, ok := minus[name]; ok {
				q = q.Sub(r)
			}
		}
		if q.Sign() < 0 {
			q = resource.NewQuantity(0, capacity[name].Format)
		}
		allocatable[name] = q
	}

	st := &corev1.NodeStatus{
		Capacity:    toMap(capacity),
		Allocatable: toMap(allocatable),
		Addresses: []*corev1.NodeAddress{
			{Type: "InternalIP", Address: info.NodeIP},
			{Type: "Hostname", Address: info.Hostname},
		},
		DaemonEndpoints: &corev1.NodeDaemonEndpoints{KubeletEndpoint: &corev1.DaemonEndpoint{Port: info.KubeletPort}},
		NodeInfo: &corev1.NodeSystemInfo{
			MachineId:               f.MachineID,
			SystemUuid:              f.SystemUUID,
			BootId:                  f.BootID,
			KernelVersion:           f.KernelVersion,
			OsImage:                 f.OSImage,
			ContainerRuntimeVersion: h.RuntimeVersion,
			KubeletVersion:          info.KubeletVersion,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
		},
	}
	st.Conditions = conditions(f, info.Thresholds, h)
	return st
}

func toMap(l resource.List) map[string]string {
	m := make(map[string]string, len(l))
	for k, q := range l {
		m[k] = q.String()
	}
	return m
}

func conditions(f Figures, t Thresholds, h Health) []*corev1.NodeCondition {
	ready := &corev1.NodeCondition{Type: ConditionReady, Status: "True", Reason: "KubeletReady", Message: "kubelet is posting ready status"}
	if h.RuntimeErr != nil {
		ready.Status, ready.Reason = "False", "KubeletNotReady"
		ready.Message = "container runtime is down: " + h.RuntimeErr.Error()
	}
	if h.ShuttingDown {
		ready.Status, ready.Reason, ready.Message = "False", "KubeletNotReady", ShutdownMessage
	}
	// Messages carry no live figures, so that a condition changes only when its status does.
	mem := pressure(ConditionMemoryPressure, f.MemoryAvailable < t.MemoryAvailable, "Memory",
		"memory pressure", "sufficient memory available")
	fsFree := fraction(f.FSAvailable, f.FSCapacity)
	disk := pressure(ConditionDiskPressure, f.FSCapacity > 0 && (fsFree < t.NodeFSAvailable || fsFree < t.ImageFSAvailable), "Disk",
		"disk pressure", "no disk pressure")
	pidFree := fraction(f.PIDMax-f.PIDsInUse, f.PIDMax)
	pid := pressure(ConditionPIDPressure, f.PIDMax > 0 && pidFree < t.PIDAvailable, "PID",
		"PID pressure", "sufficient PID available")
	return []*corev1.NodeCondition{mem, disk, pid, ready}
}

func fraction(part, whole int64) float64 {
	if whole <= 0 {
		return 1
	}
	return float64(part) / float64(whole)
}

// pressure builds a pressure condition: True with reason KubeletHas<what>Pressure when under, else
// False with KubeletHasSufficient<what> (KubeletHasNoDiskPressure for disk).
func pressure(typ string, under bool, what, underMsg, okMsg string) *corev1.NodeCondition {
	if under {
		return &corev1.NodeCondition{Type: typ, Status: "True", Reason: "KubeletHas" + what + "Pressure", Message: "kubelet has " + underMsg}
	}
	reason := "KubeletHasSufficient" + what
	if what == "Disk" {
		reason = "KubeletHasNoDiskPressure"
	}
	return &corev1.NodeCondition{Type: typ, Status: "False", Reason: reason, Message: "kubelet has " + okMsg}
}

// Merge stamps next's conditions against prev (the status last posted, or nil): every condition's
// lastHeartbeatTime becomes now; lastTransitionTime stays prev's while the condition's status
// does not change, else becomes now.
func Merge(prev, next *corev1.NodeStatus, now *timestamppb.Timestamp) {
	old := map[string]*corev1.NodeCondition{}
	if prev != nil {
		for _, c := range prev.Conditions {
			old[c.Type] = c
		}
	}
	for _, c := range next.Conditions {
		c.LastHeartbeatTime = now
		c.LastTransitionTime = now
		if o, ok := old[c.Type]; ok && o.Status == c.Status && o.LastTransitionTime != nil {
			c.LastTransitionTime = o.LastTransitionTime
		}
	}
}

// Changed reports whether next differs from prev other than in heartbeat times: a change worth
// posting before the next periodic update.
func Changed(prev, next *corev1.NodeStatus) bool {
	if prev == nil {
		return true
	}
	a, b := proto.Clone(prev).(*corev1.NodeStatus), proto.Clone(next).(*corev1.NodeStatus)
	for _, st := range []*corev1.NodeStatus{a, b} {
		for _, c := range st.Conditions {
			c.LastHeartbeatTime, c.LastTransitionTime = nil, nil
		}
	}
	return !proto.Equal(a, b)
}
