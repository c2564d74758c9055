package predicates

import (
	"fmt"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// HostPorts rules out nodes where a host port the pod claims is already in use, on the same
// protocol and address or where either side binds every address. The seeds call it PodFitsPorts.
type HostPorts struct{}

// Name implements algorithm.Predicate.
func (HostPorts) Name() string { return NamePodFitsHostPorts }

// Filter implements algorithm.Predicate.
func (HostPorts) Filter(_ *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	var reasons []algorithm.Reason
	for _, p := range pod.HostPorts {
		if ni.UsedPorts.Conflicts(p) {
			reasons = append(reasons, algorithm.NewReason(fmt.Sprintf("host port %s already in use", p)))
		}
	}
	return reasons
}
