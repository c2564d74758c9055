package core

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// filter runs the predicates on the snapshot's nodes, starting where the last pass stopped,
// until it has found numFeasibleNodesToFind feasible nodes or looked at every node. It returns
// the feasible nodes in the order visited and why each rejected node failed.
func (s *Scheduler) filter(ctx context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot) ([]*nodeinfo.NodeInfo, map[string][]algorithm.Reason, error) {
	list := snap.NodeInfoList
	n := len(list)
	toFind := numFeasibleNodesToFind(s.cfg.PercentageOfNodesToScore, n)
	start := s.nextStartNodeIndex % n

	// Feasible nodes are recorded by their offset from start, so that sorting the offsets gives
	// the visiting order whichever worker found them.
	offsets := make([]int, toFind)
	var found atomic.Int64
	var enough atomic.Bool
	var mu sync.Mutex
	failed := map[string][]algorithm.Reason{}
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
	parallelize(s.cfg.Parallelism, n, stop, func(i int) {
		ni := list[(start+i)%n]
		if reasons := s.runPredicates(state, pod, ni); reasons != nil {
			mu.Lock()
			failed[ni.Name()] = reasons
			mu.Unlock()
			return
		}
		k := int(found.Add(1))
		if k > toFind {
			found.Add(-1)
			enough.Store(true)
			return
		}
		offsets[k-1] = i
		if k == toFind {
			enough.Store(true)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	offsets = offsets[:found.Load()]
	slices.Sort(offsets)
	feasible := make([]*nodeinfo.NodeInfo, len(offsets))
	for j, off := range offsets {
		feasible[j] = list[(start+off)%n]
	}
	s.nextStartNodeIndex = (start + len(feasible) + len(failed)) % n
	return feasible, failed, nil
}

// runPredicates returns the reasons of the first predicate node fails, nil when it passes all.
func (s *Scheduler) runPredicates(state *algorithm.CycleState, pod *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	for _, p := range s.cfg.Predicates {
		if reasons := p.Filter(state, pod, ni); len(reasons) > 0 {
			return reasons
		}
	}
	return nil
}
