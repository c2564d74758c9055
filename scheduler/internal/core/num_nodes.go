package core

// The bounds of adaptive node sampling, kube-scheduler's: below minFeasibleNodesToFind nodes
// every node is considered; the adaptive percentage starts at 50 and falls by one for every 125
// nodes, but not below minFeasibleNodesPercentageToFind.
const (
	minFeasibleNodesToFind            = 100
	minFeasibleNodesPercentageToFind  = 5
	defaultPercentageBase             = 50
	adaptivePercentageNodesPerPercent = 125
)

// numFeasibleNodesToFind returns how many feasible nodes filtering looks for before it stops,
// out of numAllNodes, for percentage (0: adaptive).
func numFeasibleNodesToFind(percentage int32, numAllNodes int) int {
	if numAllNodes < minFeasibleNodesToFind || percentage >= 100 {
		return numAllNodes
	}
	adaptive := percentage
	if adaptive <= 0 {
		adaptive = int32(defaultPercentageBase - numAllNodes/adaptivePercentageNodesPerPercent)
		if adaptive < minFeasibleNodesPercentageToFind {
			adaptive = minFeasibleNodesPercentageToFind
		}
	}
	n := numAllNodes * int(adaptive) / 100
	if n < minFeasibleNodesToFind {
		return minFeasibleNodesToFind
	}
	return n
}
