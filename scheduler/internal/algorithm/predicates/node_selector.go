package predicates

import (
	"context"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// NodeSelector rules out nodes whose labels do not match the pod's spec.nodeSelector, or that
// satisfy none of the terms of its required node affinity.
type NodeSelector struct{}

// Name implements algorithm.Predicate.
func (NodeSelector) Name() string { return NameMatchNodeSelector }

// PreFilter implements algorithm.PreFilter.
func (NodeSelector) PreFilter(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, _ *nodeinfo.Snapshot) error {
	req, err := nodeaffinity.NewRequired(pod.Pod)
	if err != nil {
		return &algorithm.UnschedulableError{Reason: fmt.Sprintf("the pod's node constraints are invalid: %v", err)}
	}
	if req.Empty() {
		return algorithm.ErrSkip
	}
	state.Write(NameMatchNodeSelector, req)
	return nil
}

// Filter implements algorithm.Predicate.
func (NodeSelector) Filter(state *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	req, err := algorithm.Read[*nodeaffinity.Required](state, NameMatchNodeSelector)
	if err != nil {
		return internalError(err)
	}
	var reasons []algorithm.Reason
	if !req.MatchesSelector(ni.Node()) {
		reasons = append(reasons, algorithm.NewReason("node labels do not match the pod's node selector"))
	}
	if !req.MatchesAffinity(ni.Node()) {
		reasons = append(reasons, algorithm.NewReason("node does not match the pod's required node affinity"))
	}
	return reasons
}
