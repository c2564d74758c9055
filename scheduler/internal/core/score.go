package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// score runs the priorities on the feasible nodes and returns each priority's normalized scores,
// scores[p][i] being priority p's score of nodes[i], and scores[p] nil for a priority that sat the
// cycle out.
func (s *Scheduler) score(ctx context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, snap *nodeinfo.Snapshot, nodes []*nodeinfo.NodeInfo) ([][]int64, error) {
	prios := s.cfg.Priorities
	scores := make([][]int64, len(prios))
	if need := len(prios) * len(nodes); cap(s.scoreSlab) < need {
		s.scoreSlab = make([]int64, need)
	}
	active := make([]int, 0, len(prios))
	for p, wp := range prios {
		if ps, ok := wp.Priority.(algorithm.PreScore); ok {
			err := ps.PreScore(ctx, state, pod, snap, nodes)
			if errors.Is(err, algorithm.ErrSkip) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("priority %s: %w", wp.Priority.Name(), err)
			}
		}
		// Every element is written below before anything reads it.
		scores[p] = s.scoreSlab[p*len(nodes) : (p+1)*len(nodes) : (p+1)*len(nodes)]
		active = append(active, p)
	}
	parallelize(workersFor(s.cfg.Parallelism, len(nodes)), len(nodes), nil, func(i int) {
		for _, p := range active {
			scores[p][i] = prios[p].Priority.Score(state, pod, nodes[i])
		}
	})
	for _, p := range active {
		wp := prios[p]
		if nz, ok := wp.Priority.(algorithm.Normalizer); ok {
			nz.Normalize(state, pod, nodes, scores[p])
		}
		for i, v := range scores[p] {
			if v < 0 || v > algorithm.MaxNodeScore {
				return nil, fmt.Errorf("priority %s scored node %s %d, outside [0, %d]",
					wp.Priority.Name(), nodes[i].Name(), v, algorithm.MaxNodeScore)
			}
		}
	}
	return scores, nil
}

// total returns node i's weighted total.
func (s *Scheduler) total(scores [][]int64, i int) int64 {
	var t int64
	for p, wp := range s.cfg.Priorities {
		if scores[p] != nil {
			t += scores[p][i] * wp.Weight
		}
	}
	return t
}

// selectHost returns the node with the highest total, choosing uniformly at random among ties
// (reservoir sampling, so one pass suffices).
func (s *Scheduler) selectHost(nodes []*nodeinfo.NodeInfo, scores [][]int64) string {
	best, bestTotal, ties := 0, s.total(scores, 0), 1
	for i := 1; i < len(nodes); i++ {
		t := s.total(scores, i)
		switch {
		case t > bestTotal:
			best, bestTotal, ties = i, t, 1
		case t == bestTotal:
			ties++
			if s.cfg.Rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return nodes[best].Name()
}

func (s *Scheduler) record(nodes []*nodeinfo.NodeInfo, scores [][]int64) []NodeScore {
	out := make([]NodeScore, len(nodes))
	for i, ni := range nodes {
		ns := NodeScore{Node: ni.Name(), Total: s.total(scores, i), ByPriority: map[string]int64{}}
		for p, wp := range s.cfg.Priorities {
			if scores[p] != nil {
				ns.ByPriority[wp.Priority.Name()] = scores[p][i]
			}
		}
		out[i] = ns
	}
	return out
}
