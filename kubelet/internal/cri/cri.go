// Package cri is the kubelet's container runtime contract, shaped like the Kubernetes Container
// Runtime Interface: a pod is a sandbox holding containers, and the kubelet's pod workers drive
// both through Runtime alone. The process runtime (host processes in cgroups), the hollow runtime
// (runs nothing, for scale tests) and a future CRI client for containerd all implement it, so the
// pod workers never learn which one they drive.
//
// The runtime owns what runs and where its output goes; the kubelet owns the pod's meaning
// (restart policy, probes, status). A runtime therefore reports facts (state, exit code, times,
// OOM) and never decides to restart anything by itself.
package cri

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) for a sandbox or container ID the runtime does not know.
var ErrNotFound = errors.New("not found")

// SandboxState is whether a sandbox can hold running containers.
type SandboxState int

const (
	// SandboxReady means the sandbox exists and its containers may run.
	SandboxReady SandboxState = iota
	// SandboxNotReady means the sandbox was stopped; its containers are stopped too.
	SandboxNotReady
)

// ContainerState is where a container is in its life.
type ContainerState int

const (
	// ContainerCreated means created, not yet started.
	ContainerCreated ContainerState = iota
	// ContainerRunning means its process runs.
	ContainerRunning
	// ContainerExited means it ran and ended; ExitCode, FinishedAt and Reason say how.
	ContainerExited
	// ContainerUnknown means the runtime lost track of it (for example its monitor vanished).
	ContainerUnknown
)

func (s ContainerState) String() string {
	switch s {
	case ContainerCreated:
		return "Created"
	case ContainerRunning:
		return "Running"
	case ContainerExited:
		return "Exited"
	default:
		return "Unknown"
	}
}

// Reasons a runtime reports for an exited container, as Kubernetes shows them.
const (
	ReasonCompleted = "Completed" // exit code 0
	ReasonError     = "Error"     // non-zero exit code
	ReasonOOMKilled = "OOMKilled" // killed by the kernel for exceeding its memory limit
	// ReasonStartError: the container's process could not be started (for example its command
	// was not found); Message says why and ExitCode is 128, as containerd reports it.
	ReasonStartError = "StartError"
)

// Well-known labels every runtime stores on sandboxes and containers, so that a restarted kubelet
// can tell which pod and container each one belongs to from List alone.
const (
	LabelPodUID       = "io.kubernetes.pod.uid"
	LabelPodName      = "io.kubernetes.pod.name"
	LabelPodNamespace = "io.kubernetes.pod.namespace"
	LabelContainer    = "io.kubernetes.container.name"
)

// PodSandboxMetadata names the pod a sandbox belongs to; Attempt counts the sandboxes made for it.
type PodSandboxMetadata struct {
	Name      string
	Namespace string
	UID       string
	Attempt   uint32
}

// LinuxResources are the cgroup limits of a sandbox or a container. Zero means "not limited".
type LinuxResources struct {
	CPUPeriod        int64 // CFS period in microseconds (0: the kernel's default, 100000)
	CPUQuota         int64 // CFS quota in microseconds per period (0 or -1: no quota)
	CPUShares        int64 // relative weight; 2 for best effort, 1024 per CPU requested otherwise
	MemoryLimitBytes int64 // hard memory limit; exceeding it ends in an OOM kill
}

// PodSandboxConfig is what RunPodSandbox needs to make a pod's sandbox.
type PodSandboxConfig struct {
	Metadata PodSandboxMetadata
	Hostname string
	// LogDirectory is the pod's log directory, /var/log/pods/<namespace>_<name>_<uid> by default;
	// container LogPaths are relative to it.
	LogDirectory string
	Labels       map[string]string
	Annotations  map[string]string
	// CgroupParent is the pod's cgroup relative to the root of every hierarchy, for example
	// kubepods/burstable/pod<uid> (the QoS class decides the middle part).
	CgroupParent string
	// Resources are the pod-level limits (the sum of its containers' limits when all set them).
	Resources *LinuxResources
}

// PodSandbox is a sandbox as List and Status report it.
type PodSandbox struct {
	ID        string
	Metadata  PodSandboxMetadata
	State     SandboxState
	CreatedAt time.Time
	// IP is the pod's address: the node's own address for host-network runtimes.
	IP          string
	Labels      map[string]string
	Annotations map[string]string
}

// ContainerMetadata names a container within its sandbox; Attempt counts its restarts (0 first).
type ContainerMetadata struct {
	Name    string
	Attempt uint32
}

// KeyValue is one environment variable, already resolved by the kubelet.
type KeyValue struct {
	Key   string
	Value string
}

// ContainerConfig is what CreateContainer needs. Command and Args are already expanded
// (`$(VAR)` references resolved) and Env is complete: the runtime only runs what it is given.
type ContainerConfig struct {
	Metadata   ContainerMetadata
	Image      string
	Command    []string
	Args       []string
	WorkingDir string
	Env        []KeyValue
	// LogPath is relative to the sandbox's LogDirectory: <container>/<attempt>.log.
	LogPath     string
	Labels      map[string]string
	Annotations map[string]string
	Resources   *LinuxResources
	// Mounts make host directories appear in the container at other paths.
	Mounts []Mount
}

// Mount makes the host directory HostPath appear in a container at ContainerPath.
type Mount struct {
	HostPath      string
	ContainerPath string
	ReadOnly      bool
}

// Container is a container as List reports it.
type Container struct {
	ID           string
	PodSandboxID string
	Metadata     ContainerMetadata
	Image        string
	State        ContainerState
	CreatedAt    time.Time
	Labels       map[string]string
	Annotations  map[string]string
}

// ContainerStatus is a container's full state as ContainerStatus reports it.
type ContainerStatus struct {
	ID           string
	PodSandboxID string
	Metadata     ContainerMetadata
	Image        string
	State        ContainerState
	CreatedAt    time.Time
	StartedAt    time.Time // zero until started
	FinishedAt   time.Time // zero until exited
	ExitCode     int32
	// Reason is one of the Reason constants once exited; Message carries detail (for example why
	// a container could not start).
	Reason  string
	Message string
	// LogPath is the absolute path of the container's current log file.
	LogPath     string
	Labels      map[string]string
	Annotations map[string]string
	// PID is the host process ID of the container's main process while it runs, for runtimes
	// whose containers are host-visible processes; 0 otherwise.
	PID int
}

// SandboxFilter selects sandboxes in ListPodSandbox; empty fields match everything.
type SandboxFilter struct {
	ID            string
	State         *SandboxState
	LabelSelector map[string]string
}

// ContainerFilter selects containers in ListContainers; empty fields match everything.
type ContainerFilter struct {
	ID            string
	PodSandboxID  string
	State         *ContainerState
	LabelSelector map[string]string
}

// VersionInfo names a runtime for the node's nodeInfo.containerRuntimeVersion
// (<RuntimeName>://<RuntimeVersion>).
type VersionInfo struct {
	RuntimeName    string
	RuntimeVersion string
}

// ExecResult is what ExecSync returns for a command that ran (whatever its exit code).
type ExecResult struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int32
}

// Runtime runs pod sandboxes and their containers. Every method is safe for concurrent use. IDs
// are the runtime's own and stay valid across a kubelet restart: List after a restart returns what
// ran before it, so the kubelet re-adopts its containers instead of starting them again.
type Runtime interface {
	// Version names the runtime.
	Version(ctx context.Context) (VersionInfo, error)

	// RunPodSandbox makes a sandbox (its cgroup, its log directory) and returns its ID.
	RunPodSandbox(ctx context.Context, config *PodSandboxConfig) (string, error)
	// StopPodSandbox stops every container still running in the sandbox (SIGKILL: the kubelet has
	// already stopped them gracefully) and marks it NotReady. Stopping a stopped sandbox is a no-op.
	StopPodSandbox(ctx context.Context, podSandboxID string) error
	// RemovePodSandbox removes a stopped sandbox and all its containers. Removing an unknown
	// sandbox is a no-op.
	RemovePodSandbox(ctx context.Context, podSandboxID string) error
	// PodSandboxStatus reports one sandbox; ErrNotFound if unknown.
	PodSandboxStatus(ctx context.Context, podSandboxID string) (*PodSandbox, error)
	// ListPodSandbox lists sandboxes matching filter (nil: all).
	ListPodSandbox(ctx context.Context, filter *SandboxFilter) ([]*PodSandbox, error)

	// CreateContainer creates a container in a sandbox without starting it. A config the runtime
	// cannot run (for example no command for the process runtime) fails here with an error whose
	// message says why; the kubelet reports it as CreateContainerConfigError.
	CreateContainer(ctx context.Context, podSandboxID string, config *ContainerConfig, sandboxConfig *PodSandboxConfig) (string, error)
	// StartContainer starts a created container.
	StartContainer(ctx context.Context, containerID string) error
	// StopContainer sends SIGTERM, waits up to timeout for the container to exit, then sends
	// SIGKILL and waits for it to be gone. A timeout of 0 kills at once. Stopping an exited
	// container is a no-op.
	StopContainer(ctx context.Context, containerID string, timeout time.Duration) error
	// RemoveContainer removes an exited container (its log files stay for the kubelet to rotate
	// or delete). Removing an unknown container is a no-op.
	RemoveContainer(ctx context.Context, containerID string) error
	// ListContainers lists containers matching filter (nil: all).
	ListContainers(ctx context.Context, filter *ContainerFilter) ([]*Container, error)
	// ContainerStatus reports one container; ErrNotFound if unknown.
	ContainerStatus(ctx context.Context, containerID string) (*ContainerStatus, error)

	// ExecSync runs cmd in the container's context (its environment, working directory and
	// cgroup) and waits for it up to timeout. An error means the command could not be run or timed
	// out; a command that ran and failed returns its non-zero ExitCode and a nil error.
	ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (*ExecResult, error)
	// ReopenContainerLog makes a running container write to a fresh file at its LogPath, after the
	// kubelet renamed the old one for rotation.
	ReopenContainerLog(ctx context.Context, containerID string) error
}
