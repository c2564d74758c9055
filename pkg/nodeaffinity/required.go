package nodeaffinity

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/labels"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Required is a pod's hard node constraints: its nodeSelector and its required node affinity.
type Required struct {
	selector labels.Selector // nil when the pod has no nodeSelector
	terms    []Term
	hasTerms bool // the pod has required node affinity, possibly with no valid term
}

// NewRequired compiles pod's hard node constraints.
func NewRequired(pod *corev1.Pod) (*Required, error) {
	r := &Required{}
	if ns := pod.GetSpec().GetNodeSelector(); len(ns) > 0 {
		sel, err := labels.ValidatedSelectorFromSet(labels.Set(ns))
		if err != nil {
			return nil, fmt.Errorf("nodeSelector: %w", err)
		}
		r.selector = sel
	}
	req := pod.GetSpec().GetAffinity().GetNodeAffinity().GetRequiredDuringSchedulingIgnoredDuringExecution()
	if req != nil {
		r.hasTerms = true
		for i, t := range req.GetNodeSelectorTerms() {
			ct, err := CompileTerm(t)
			if err != nil {
				return nil, fmt.Errorf("nodeAffinity.required.nodeSelectorTerms[%d]: %w", i, err)
			}
			r.terms = append(r.terms, ct)
		}
	}
	return r, nil
}

// Empty reports whether the pod has neither a nodeSelector nor required node affinity.
func (r *Required) Empty() bool { return r.selector == nil && !r.hasTerms }

// MatchesSelector reports whether node's labels satisfy the nodeSelector.
func (r *Required) MatchesSelector(node *corev1.Node) bool {
	return r.selector == nil || r.selector.Matches(labels.Set(node.GetMetadata().GetLabels()))
}

// MatchesAffinity reports whether node satisfies one of the required node affinity terms.
func (r *Required) MatchesAffinity(node *corev1.Node) bool {
	if !r.hasTerms {
		return true
	}
	for _, t := range r.terms {
		if t.Matches(node) {
			return true
		}
	}
	return false
}

// NodeNames returns the node names the required terms pin the pod to: pinned is true when every
// term names nodes with matchFields metadata.name In, and names is the union of those names.
func (r *Required) NodeNames() (names []string, pinned bool) {
	if !r.hasTerms || len(r.terms) == 0 {
		return nil, false
	}
	for _, t := range r.terms {
		n, ok := t.NodeNames()
		if !ok {
			return nil, false
		}
		names = append(names, n...)
	}
	return names, true
}
