package predicates

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"

	"github.com/keelson-dev/keelson/scheduler/internal/algorithm"
	"github.com/keelson-dev/keelson/scheduler/internal/nodeinfo"
)

// HostName rules out every node but the one the pod asks for: by spec.nodeName, or by required
// node affinity terms that all name nodes with matchFields metadata.name (as DaemonSet pods do).
type HostName struct{}

// hostNameState is the set of node names the pod is pinned to; nil when it is not pinned.
type hostNameState struct {
	names []string
}

// Name implements algorithm.Predicate.
func (HostName) Name() string { return NameHostName }

// PreFilter implements algorithm.PreFilter.
func (HostName) PreFilter(_ context.Context, state *algorithm.CycleState, pod *nodeinfo.PodInfo, _ *nodeinfo.Snapshot) error {
	st := &hostNameState{}
	if n := pod.Pod.GetSpec().GetNodeName(); n != "" {
		st.names = []string{n}
	} else if req, err := nodeaffinity.NewRequired(pod.Pod); err == nil {
		if names, pinned := req.NodeNames(); pinned {
			st.names = names
			if len(names) == 0 {
				return &algorithm.UnschedulableError{Reason: "the pod's node affinity names no node"}
			}
		}
	} // a node affinity that does not compile is MatchNodeSelector's to report
	if st.names == nil {
		return algorithm.ErrSkip
	}
	slices.Sort(st.names)
	state.Write(NameHostName, st)
	return nil
}

// Filter implements algorithm.Predicate.
func (HostName) Filter(state *algorithm.CycleState, _ *nodeinfo.PodInfo, ni *nodeinfo.NodeInfo) []algorithm.Reason {
	st, err := algorithm.Read[*hostNameState](state, NameHostName)
	if err != nil {
		return internalError(err)
	}
	if st.names == nil || slices.Contains(st.names, ni.Name()) {
		return nil
	}
	return []algorithm.Reason{{
		Summary: "node is not the one the pod asks for",
		Detail:  fmt.Sprintf("node is not the one the pod asks for (%s)", strings.Join(st.names, ", ")),
	}}
}
