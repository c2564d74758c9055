package pods

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"strconv"

	"github.com/keelson-dev/keelson/kubelet/internal/cri"
	"github.com/keelson-dev/keelson/pkg/qos"
	"github.com/keelson-dev/keelson/pkg/resource"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// CFS settings as Kubernetes computes them.
const (
	cpuPeriod      = 100000 // microseconds
	minCPUShares   = 2
	sharesPerCPU   = 1024
	minQuotaPeriod = 1000
)

// podLogDir is the pod's log directory: <root>/<namespace>_<name>_<uid>.
func (m *Manager) podLogDir(pod *corev1.Pod) string {
	md := pod.GetMetadata()
	return filepath.Join(m.cfg.PodLogRoot, md.GetNamespace()+"_"+md.GetName()+"_"+md.GetUid())
}

// cgroupParent is kubepods[/burstable|/besteffort]/pod<uid>, by QoS class.
func cgroupParent(pod *corev1.Pod) string {
	base := "kubepods"
	switch qos.Of(pod) {
	case qos.Burstable:
		base = path.Join(base, "burstable")
	case qos.BestEffort:
		base = path.Join(base, "besteffort")
	}
	return path.Join(base, "pod"+pod.GetMetadata().GetUid())
}

func podLabels(pod *corev1.Pod) map[string]string {
	md := pod.GetMetadata()
	return map[string]string{
		cri.LabelPodUID:       md.GetUid(),
		cri.LabelPodName:      md.GetName(),
		cri.LabelPodNamespace: md.GetNamespace(),
	}
}

// sandboxConfig is the pod's sandbox configuration; attempt counts the sandboxes made for it.
func (m *Manager) sandboxConfig(pod *corev1.Pod, attempt uint32) *cri.PodSandboxConfig {
	md := pod.GetMetadata()
	hostname := pod.GetSpec().GetHostname()
	if hostname == "" {
		hostname = md.GetName()
	}
	return &cri.PodSandboxConfig{
		Metadata:     cri.PodSandboxMetadata{Name: md.GetName(), Namespace: md.GetNamespace(), UID: md.GetUid(), Attempt: attempt},
		Hostname:     hostname,
		LogDirectory: m.podLogDir(pod),
		Labels:       podLabels(pod),
		Annotations:  maps.Clone(md.GetAnnotations()),
		CgroupParent: cgroupParent(pod),
		Resources:    podResources(pod),
	}
}

// containerConfig is the configuration of one run of c; env is resolved, command and args expanded.
func containerConfig(pod *corev1.Pod, c *corev1.Container, attempt uint32, env []cri.KeyValue, command, args []string) *cri.ContainerConfig {
	labels := podLabels(pod)
	labels[cri.LabelContainer] = c.GetName()
	return &cri.ContainerConfig{
		Metadata:   cri.ContainerMetadata{Name: c.GetName(), Attempt: attempt},
		Image:      c.GetImage(),
		Command:    command,
		Args:       args,
		WorkingDir: c.GetWorkingDir(),
		Env:        env,
		LogPath:    filepath.Join(c.GetName(), strconv.FormatUint(uint64(attempt), 10)+".log"),
		Labels:     labels,
		Annotations: map[string]string{
			"io.kubernetes.container.restartCount": strconv.FormatUint(uint64(attempt), 10),
		},
		Resources: containerResources(c),
	}
}

// quantity returns the named quantity of list, ok false if absent or malformed.
func quantity(list map[string]string, name string) (resource.Quantity, bool) {
	s, ok := list[name]
	if !ok {
		return resource.Quantity{}, false
	}
	q, err := resource.Parse(s)
	if err != nil {
		return resource.Quantity{}, false
	}
	return q, true
}

// containerResources are c's cgroup limits as Kubernetes derives them: cpu shares from the cpu
// request (the limit when no request is set; 2 when neither is), a CFS quota from the cpu limit,
// the memory limit as the hard limit.
func containerResources(c *corev1.Container) *cri.LinuxResources {
	req := c.GetResources().GetRequests()
	lim := c.GetResources().GetLimits()
	r := &cri.LinuxResources{CPUShares: minCPUShares}
	cpuReq, ok := quantity(req, "cpu")
	if !ok {
		cpuReq, ok = quantity(lim, "cpu")
	}
	if ok {
		r.CPUShares = max(cpuReq.MilliValue()*sharesPerCPU/1000, minCPUShares)
	}
	if cpuLim, ok := quantity(lim, "cpu"); ok && cpuLim.Sign() > 0 {
		r.CPUPeriod = cpuPeriod
		r.CPUQuota = max(cpuLim.MilliValue()*cpuPeriod/1000, minQuotaPeriod)
	}
	if mem, ok := quantity(lim, "memory"); ok {
		r.MemoryLimitBytes = mem.Value()
	}
	return r
}

// podResources are the pod-level limits: the sum of its app containers' limits for each of cpu and
// memory that every app container limits; nil when neither is.
func podResources(pod *corev1.Pod) *cri.LinuxResources {
	var cpuMilli, memBytes int64
	cpuAll, memAll := true, true
	containers := pod.GetSpec().GetContainers()
	for _, c := range containers {
		lim := c.GetResources().GetLimits()
		if q, ok := quantity(lim, "cpu"); ok {
			cpuMilli += q.MilliValue()
		} else {
			cpuAll = false
		}
		if q, ok := quantity(lim, "memory"); ok {
			memBytes += q.Value()
		} else {
			memAll = false
		}
	}
	if len(containers) == 0 || (!cpuAll && !memAll) {
		return nil
	}
	r := &cri.LinuxResources{}
	if cpuAll {
		r.CPUPeriod = cpuPeriod
		r.CPUQuota = max(cpuMilli*cpuPeriod/1000, minQuotaPeriod)
		r.CPUShares = max(cpuMilli*sharesPerCPU/1000, minCPUShares)
	}
	if memAll {
		r.MemoryLimitBytes = memBytes
	}
	return r
}

// containerID is a container's ID as status shows it: <runtime>://<id>.
func (m *Manager) containerID(id string) string {
	return fmt.Sprintf("%s://%s", m.runtimeName, id)
}
