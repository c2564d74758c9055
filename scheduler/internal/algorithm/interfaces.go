package algorithm

import (
	"context"
	"errors"

	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// MaxNodeScore is the highest score a priority gives a node, after normalization.
const MaxNodeScore int64 = 100

// Predicate rules a node in or out for a pod.
type Predicate interface {
	// Name is the key the predicate is registered under.
	Name() string
	// Filter returns nil when pod fits node, and otherwise every reason it does not. It is
	// called concurrently for different nodes.
	Filter(state *CycleState, pod *nodeinfo.PodInfo, node *nodeinfo.NodeInfo) []Reason
}

// ErrSkip is what PreFilter or PreScore returns to say that for this pod the predicate passes
// every node, or the priority scores every node alike, so the scheduler need not call Filter or Score:
// most pods have no affinity, no node selector, no peers to spread from, and skipping those
// checks is most of what keeps a decision on a large cluster cheap.
var ErrSkip = errors.New("nothing to check for this pod")

// PreFilter is implemented by predicates that compute something once per pod before Filter. An
// *UnschedulableError means the pod fits no node at all; ErrSkip that it fits every node as far as
// this predicate is concerned.
type PreFilter interface {
	PreFilter(ctx context.Context, state *CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot) error
}

// Priority scores a node for a pod; higher is better.
type Priority interface {
	// Name is the key the priority is registered under.
	Name() string
	// Score returns the node's raw score. It is called concurrently for different nodes.
	Score(state *CycleState, pod *nodeinfo.PodInfo, node *nodeinfo.NodeInfo) int64
}

// PreScore is implemented by priorities that compute something once per pod before Score, over
// the nodes that passed filtering. ErrSkip says every node would score the same.
type PreScore interface {
	PreScore(ctx context.Context, state *CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot, nodes []*nodeinfo.NodeInfo) error
}

// Normalizer is implemented by priorities whose raw scores need rescaling to [0, MaxNodeScore];
// scores[i] is the score of nodes[i]. Priorities without it must score in that range already.
type Normalizer interface {
	Normalize(state *CycleState, pod *nodeinfo.PodInfo, nodes []*nodeinfo.NodeInfo, scores []int64)
}

// WeightedPriority is a priority with the weight its scores are multiplied by.
type WeightedPriority struct {
	Priority Priority
	Weight   int64
}
