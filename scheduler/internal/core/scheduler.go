package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// Config configures a Scheduler.
type Config struct {
	// Predicates run in order on each node; a node fails at its first failing predicate.
	Predicates []algorithm.Predicate
	// Priorities score the feasible nodes; a node's total is the weighted sum.
	Priorities []algorithm.WeightedPriority
	// PercentageOfNodesToScore is the share of the nodes filtering looks for feasible ones among
	// before it stops, on clusters of 100 nodes or more; 0 adapts it to the cluster's size
	// (50% less 1% per 125 nodes, at least 5%), 100 considers every node.
	PercentageOfNodesToScore int32
	// Parallelism is how many goroutines filter and score at once (default GOMAXPROCS).
	Parallelism int
	// Rand breaks ties between the best nodes (default: randomly seeded). A Scheduler uses it
	// from one goroutine at a time.
	Rand *rand.Rand
	// RecordScores keeps every scored node's scores in the Result, for tests and tools.
	RecordScores bool
}

// Scheduler picks nodes for pods. Schedule must not be called concurrently: it keeps where the
// last filtering pass stopped, so that successive pods start at different nodes.
type Scheduler struct {
	cfg                Config
	nextStartNodeIndex int
	// scoreSlab backs every cycle's score lists in turn; a cycle's scores are dead once Schedule
	// returns (the Result copies what it keeps), so one slab serves them all.
	scoreSlab []int64
	// offsetSlab and feasibleSlab back every cycle's filter results in the same way: the feasible
	// nodes are only read until Schedule returns.
	offsetSlab   []int
	feasibleSlab []*nodeinfo.NodeInfo
}

// New returns a Scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = runtime.GOMAXPROCS(0)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &Scheduler{cfg: cfg}
}

// Result is a scheduling decision.
type Result struct {
	// Node is the chosen node.
	Node string
	// EvaluatedNodes is how many nodes filtering looked at, FeasibleNodes how many passed.
	EvaluatedNodes int
	FeasibleNodes  int
	// Scores holds every scored node's scores when Config.RecordScores is set, in the order the
	// nodes were scored; nil when only one node was feasible, as then nothing is scored.
	Scores []NodeScore
	// Rejected maps each node filtering ruled out to why, when Config.RecordScores is set.
	Rejected map[string][]algorithm.Reason
}

// NodeScore is one node's scores.
type NodeScore struct {
	Node string
	// Total is the weighted sum of the priorities' scores.
	Total int64
	// ByPriority holds each priority's normalized score, before weighting; priorities that sat the
	// cycle out (ErrSkip) are absent.
	ByPriority map[string]int64
}

// Schedule picks a node for pod among snap's nodes. It returns a *FitError when no node fits,
// and another error when a predicate or priority failed.
func (s *Scheduler) Schedule(ctx context.Context, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot) (Result, error) {
	n := snap.NumNodes()
	if n == 0 {
		return Result{}, &FitError{Pod: pod.Pod, NumAllNodes: 0}
	}
	state := algorithm.NewCycleState()
	preds := make([]algorithm.Predicate, 0, len(s.cfg.Predicates))
	for _, p := range s.cfg.Predicates {
		pf, ok := p.(algorithm.PreFilter)
		if !ok {
			preds = append(preds, p)
			continue
		}
		err := pf.PreFilter(ctx, state, pod, snap)
		var ue *algorithm.UnschedulableError
		switch {
		case err == nil:
			preds = append(preds, p)
		case errors.Is(err, algorithm.ErrSkip):
		case errors.As(err, &ue):
			return Result{}, &FitError{Pod: pod.Pod, NumAllNodes: n, PodReason: ue.Reason}
		default:
			return Result{}, fmt.Errorf("predicate %s: %w", p.Name(), err)
		}
	}
	feasible, failed, err := s.filter(ctx, state, preds, pod, snap)
	if err != nil {
		return Result{}, err
	}
	res := Result{EvaluatedNodes: len(feasible) + len(failed), FeasibleNodes: len(feasible)}
	if s.cfg.RecordScores {
		res.Rejected = failed
	}
	switch len(feasible) {
	case 0:
		return Result{}, &FitError{Pod: pod.Pod, NumAllNodes: n, NodeReasons: failed}
	case 1:
		res.Node = feasible[0].Name()
		return res, nil
	}
	scores, err := s.score(ctx, state, pod, snap, feasible)
	if err != nil {
		return Result{}, err
	}
	res.Node = s.selectHost(feasible, scores)
	if s.cfg.RecordScores {
		res.Scores = s.record(feasible, scores)
	}
	return res, nil
}
