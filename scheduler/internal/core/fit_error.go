package core

import (
	"fmt"
	"sort"
	"strings"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
)

// MaxNodesListed is the number of nodes up to which a FitError's message names every node;
// beyond it, the message groups nodes by reason.
const MaxNodesListed = 10

// FitError says that a pod fits no node, and why.
type FitError struct {
	Pod *corev1.Pod
	// NumAllNodes is the number of nodes considered.
	NumAllNodes int
	// PodReason, when set, rules out every node at once (the pod's own constraints are broken).
	PodReason string
	// NodeReasons maps each node's name to why it does not fit.
	NodeReasons map[string][]algorithm.Reason
}

// Error returns the message for the pod's condition and event, in one of these forms:
//
//	0/3 nodes are available: node-a: insufficient cpu (requested 2, free 1.5); node-b: taint dedicated=gpu:NoSchedule not tolerated; node-c: node is unschedulable
//	0/500 nodes are available: 300 nodes: insufficient cpu; 200 nodes: node is unschedulable
//	0/3 nodes are available: the pod's node affinity names no node
//
// Nodes are listed by name, with all their reasons; grouped, reasons go by how many nodes they
// rule out, most first, and a node with several reasons counts under each.
func (e *FitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "0/%d nodes are available: ", e.NumAllNodes)
	switch {
	case e.PodReason != "":
		b.WriteString(e.PodReason)
	case e.NumAllNodes == 0:
		b.WriteString("no nodes are registered")
	case len(e.NodeReasons) <= MaxNodesListed:
		e.writeByNode(&b)
	default:
		e.writeByReason(&b)
	}
	return b.String()
}

func (e *FitError) writeByNode(b *strings.Builder) {
	names := make([]string, 0, len(e.NodeReasons))
	for n := range e.NodeReasons {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(n)
		b.WriteString(": ")
		for j, r := range e.NodeReasons[n] {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(r.String())
		}
	}
}

func (e *FitError) writeByReason(b *strings.Builder) {
	counts := map[string]int{}
	for _, reasons := range e.NodeReasons {
		seen := map[string]bool{}
		for _, r := range reasons {
			if !seen[r.Summary] {
				seen[r.Summary] = true
				counts[r.Summary]++
			}
		}
	}
	summaries := make([]string, 0, len(counts))
	for s := range counts {
		summaries = append(summaries, s)
	}
	sort.Slice(summaries, func(i, j int) bool {
		if counts[summaries[i]] != counts[summaries[j]] {
			return counts[summaries[i]] > counts[summaries[j]]
		}
		return summaries[i] < summaries[j]
	})
	for i, s := range summaries {
		if i > 0 {
			b.WriteString("; ")
		}
		noun := "nodes"
		if counts[s] == 1 {
			noun = "node"
		}
		fmt.Fprintf(b, "%d %s: %s", counts[s], noun, s)
	}
}
