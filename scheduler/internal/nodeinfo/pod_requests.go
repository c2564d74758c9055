package nodeinfo

import (
	"fmt"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The requests a container is taken to make, for scoring only, when it states none, so that
// pods without requests still spread over nodes; the values are kube-scheduler's.
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// podRequests computes what a pod consumes on its node, as the kubelet admits it: the sum of its
// containers' and sidecars' requests, or the largest that any init container needs while it runs,
// whichever is larger, plus the pod overhead. nonZero is the same with DefaultMilliCPURequest and
// DefaultMemoryRequest standing in for each container's missing cpu and memory requests.
func podRequests(spec *corev1.PodSpec) (req, nonZero Resource, err error) {
	var sidecars, sidecarsNonZero Resource
	var initMax, initMaxNonZero Resource
	for i, c := range spec.GetInitContainers() {
		r, nz, err := containerRequests(c)
		if err != nil {
			return Resource{}, Resource{}, fmt.Errorf("initContainers[%d] (%s): %w", i, c.GetName(), err)
		}
		if c.GetRestartPolicy() == "Always" {
			// A sidecar keeps running beside everything started after it.
			sidecars.Add(r)
			sidecarsNonZero.Add(nz)
			continue
		}
		// A regular init container runs alone, beside the sidecars started before it.
		r.Add(sidecars)
		nz.Add(sidecarsNonZero)
		initMax.SetMax(r)
		initMaxNonZero.SetMax(nz)
	}
	for i, c := range spec.GetContainers() {
		r, nz, err := containerRequests(c)
		if err != nil {
			return Resource{}, Resource{}, fmt.Errorf("containers[%d] (%s): %w", i, c.GetName(), err)
		}
		req.Add(r)
		nonZero.Add(nz)
	}
	req.Add(sidecars)
	nonZero.Add(sidecarsNonZero)
	req.SetMax(initMax)
	nonZero.SetMax(initMaxNonZero)
	if len(spec.GetOverhead()) > 0 {
		o, err := ParseResourceList(spec.GetOverhead())
		if err != nil {
			return Resource{}, Resource{}, fmt.Errorf("overhead: %w", err)
		}
		req.Add(o)
		nonZero.Add(o)
	}
	return req, nonZero, nil
}

// containerRequests returns a container's requests and its requests for scoring.
func containerRequests(c *corev1.Container) (req, nonZero Resource, err error) {
	requests := c.GetResources().GetRequests()
	req, err = ParseResourceList(requests)
	if err != nil {
		return Resource{}, Resource{}, err
	}
	nonZero = Resource{MilliCPU: req.MilliCPU, Memory: req.Memory}
	if _, ok := requests[ResourceCPU]; !ok {
		nonZero.MilliCPU = DefaultMilliCPURequest
	}
	if _, ok := requests[ResourceMemory]; !ok {
		nonZero.Memory = DefaultMemoryRequest
	}
	return req, nonZero, nil
}
