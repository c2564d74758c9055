package predicates

import (
	"fmt"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// NodeCondition rules out nodes that are not Ready or whose network is unavailable. A node that
// reports no Ready condition yet is not ready.
type NodeCondition struct{}

// Name implements algorithm.Predicate.
func (NodeCondition) Name() string { return NameCheckNodeCondition }

// Filter implements algorithm.Predicate.
func (NodeCondition) Filter(_ *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	ready := false
	var reasons []algorithm.Reason
	for _, c := range ni.Node().GetStatus().GetConditions() {
		switch c.GetType() {
		case "Ready":
			if c.GetStatus() == "True" {
				ready = true
				continue
			}
			r := algorithm.Reason{Summary: "node is not ready"}
			if c.GetReason() != "" {
				r.Detail = fmt.Sprintf("node is not ready (Ready=%s: %s)", c.GetStatus(), c.GetReason())
			} else {
				r.Detail = fmt.Sprintf("node is not ready (Ready=%s)", c.GetStatus())
			}
			return []algorithm.Reason{r}
		case "NetworkUnavailable":
			if c.GetStatus() == "True" {
				reasons = append(reasons, algorithm.NewReason("node network is unavailable"))
			}
		}
	}
	if !ready {
		return []algorithm.Reason{{Summary: "node is not ready", Detail: "node is not ready (no Ready condition reported)"}}
	}
	return reasons
}
