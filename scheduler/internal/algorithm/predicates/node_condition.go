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
	switch {
	case ni.ReadyStatus == "True":
	case ni.ReadyStatus == "":
		return []algorithm.Reason{{Summary: "node is not ready", Detail: "node is not ready (no Ready condition reported)"}}
	case ni.ReadyReason != "":
		return []algorithm.Reason{{Summary: "node is not ready", Detail: fmt.Sprintf("node is not ready (Ready=%s: %s)", ni.ReadyStatus, ni.ReadyReason)}}
	default:
		return []algorithm.Reason{{Summary: "node is not ready", Detail: fmt.Sprintf("node is not ready (Ready=%s)", ni.ReadyStatus)}}
	}
	if ni.NetworkUnavailable {
		return []algorithm.Reason{algorithm.NewReason("node network is unavailable")}
	}
	return nil
}
