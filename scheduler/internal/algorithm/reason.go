package algorithm

// Reason says in plain words why a node does not fit a pod.
type Reason struct {
	// Summary is the same for every node that fails the same way, so that a message about many
	// nodes can group them by it: "insufficient cpu".
	Summary string
	// Detail adds this node's specifics: "insufficient cpu (requested 2, free 1.5)". Empty when
	// Summary says it all.
	Detail string
}

// String returns the detail, or the summary when there is no detail.
func (r Reason) String() string {
	if r.Detail != "" {
		return r.Detail
	}
	return r.Summary
}

// NewReason returns a reason with a summary only.
func NewReason(summary string) Reason { return Reason{Summary: summary} }

// UnschedulableError says that a pod fits no node whatever the nodes are, for instance because
// its node affinity does not parse.
type UnschedulableError struct {
	Reason string
}

func (e *UnschedulableError) Error() string { return e.Reason }
