package core

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// filterChunk is how many nodes a filtering worker takes at a time.
const filterChunk = 16

// filter runs the predicates on the snapshot's nodes, starting where the last pass stopped,
// until it has found numFeasibleNodesToFind feasible nodes or looked at every node. It returns
// the feasible nodes in the order visited and why each rejected node failed.
func (s *Scheduler) filter(ctx context.Context, state *algorithm.CycleState, preds []algorithm.Predicate, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot) ([]*nodeinfo.NodeInfo, map[string][]algorithm.Reason, error) {
	list := snap.NodeInfoList
	n := len(list)
	toFind := numFeasibleNodesToFind(s.cfg.PercentageOfNodesToScore, n)
	start := s.nextStartNodeIndex % n

	// Feasible nodes are recorded by their offset from start, so that sorting the offsets gives
	// the visiting order whichever worker found them. Workers take chunks of filterChunk nodes and
	// count what they found once per chunk: filtering may overshoot by a chunk per worker, and
	// the offsets past the first toFind are dropped.
	var (
		mu      sync.Mutex
		offsets = s.offsetSlab[:0]
		failed  = map[string][]algorithm.Reason{}
		found   atomic.Int64
		enough  atomic.Bool
	)
	if need := toFind + filterChunk*s.cfg.Parallelism; cap(offsets) < need {
		offsets = make([]int, 0, need)
	}
	done := ctx.Done()
	stop := func() bool {
		if enough.Load() {
			return true
		}
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	// The pass looks at about toFind nodes (more when many fail), not at all n.
	parallelizeChunks(workersFor(s.cfg.Parallelism, toFind), n, filterChunk, stop, func(lo, hi int) {
		var local [filterChunk]int
		fits := local[:0]
		var rejected map[string][]algorithm.Reason
		for i := lo; i < hi; i++ {
			ni := list[(start+i)%n]
			if reasons := runPredicates(preds, state, pod, ni); reasons != nil {
				if rejected == nil {
					rejected = map[string][]algorithm.Reason{}
				}
				rejected[ni.Name()] = reasons
				continue
			}
			fits = append(fits, i)
		}
		mu.Lock()
		offsets = append(offsets, fits...)
		for name, r := range rejected {
			failed[name] = r
		}
		mu.Unlock()
		if found.Add(int64(len(fits))) >= int64(toFind) {
			enough.Store(true)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	slices.Sort(offsets)
	next := start // every node visited: the next pass starts where this one did
	if len(offsets) >= toFind {
		offsets = offsets[:toFind]
		next = start + offsets[toFind-1] + 1
	}
	feasible := s.feasibleSlab[:0]
	for _, off := range offsets {
		feasible = append(feasible, list[(start+off)%n])
	}
	s.offsetSlab, s.feasibleSlab = offsets[:0], feasible[:0]
	s.nextStartNodeIndex = next % n
	return feasible, failed, nil
}

// runPredicates returns the reasons of the first predicate node fails, nil when it passes all.
func runPredicates(preds []algorithm.Predicate, state *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	for _, p := range preds {
		if reasons := p.Filter(state, pod, ni); len(reasons) > 0 {
			return reasons
		}
	}
	return nil
}
