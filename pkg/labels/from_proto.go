package labels

import (
	"fmt"

	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// The operator names of metav1.LabelSelectorRequirement.
const (
	LabelSelectorOpIn           = "In"
	LabelSelectorOpNotIn        = "NotIn"
	LabelSelectorOpExists       = "Exists"
	LabelSelectorOpDoesNotExist = "DoesNotExist"
)

// FromLabelSelector converts a structured selector, as found in a Deployment's or Service's spec,
// into a Selector. As in Kubernetes, a nil selector selects nothing and an empty one everything.
// match_labels become equality requirements and match_expressions set requirements; both are
// validated, and an unknown operator is an error naming it.
func FromLabelSelector(ls *metav1.LabelSelector) (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	matchLabels, exprs := ls.GetMatchLabels(), ls.GetMatchExpressions()
	reqs := make(requirements, 0, len(matchLabels)+len(exprs))
	for k, v := range matchLabels {
		r, err := NewRequirement(k, Equals, []string{v})
		if err != nil {
			return nil, fmt.Errorf("matchLabels[%s]: %w", k, err)
		}
		reqs = append(reqs, r)
	}
	for i, expr := range exprs {
		var op Operator
		switch expr.GetOperator() {
		case LabelSelectorOpIn:
			op = In
		case LabelSelectorOpNotIn:
			op = NotIn
		case LabelSelectorOpExists:
			op = Exists
		case LabelSelectorOpDoesNotExist:
			op = DoesNotExist
		default:
			return nil, fmt.Errorf("matchExpressions[%d]: %q is not a valid label selector operator", i, expr.GetOperator())
		}
		r, err := NewRequirement(expr.GetKey(), op, expr.GetValues())
		if err != nil {
			return nil, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		reqs = append(reqs, r)
	}
	return reqs.sorted(), nil
}
