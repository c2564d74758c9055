package nodeaffinity

import (
	"fmt"
	"slices"

	"github.com/keelson-dev/keelson/pkg/labels"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// NodeNameField is the only field a node selector term's matchFields may name.
const NodeNameField = "metadata.name"

// Term is a compiled NodeSelectorTerm.
type Term struct {
	exprs  []labels.Requirement
	fields []fieldRequirement
}

// fieldRequirement is a matchFields entry: metadata.name In or NotIn a set of names.
type fieldRequirement struct {
	in    bool
	names []string
}

// CompileTerm compiles one node selector term.
func CompileTerm(t *corev1.NodeSelectorTerm) (Term, error) {
	var out Term
	for i, e := range t.GetMatchExpressions() {
		op, err := operator(e.GetOperator())
		if err != nil {
			return Term{}, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		r, err := labels.NewRequirement(e.GetKey(), op, e.GetValues())
		if err != nil {
			return Term{}, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		out.exprs = append(out.exprs, r)
	}
	for i, f := range t.GetMatchFields() {
		if f.GetKey() != NodeNameField {
			return Term{}, fmt.Errorf("matchFields[%d]: field %q is not supported, only %s", i, f.GetKey(), NodeNameField)
		}
		switch f.GetOperator() {
		case "In", "NotIn":
		default:
			return Term{}, fmt.Errorf("matchFields[%d]: operator %q is not supported, only In and NotIn", i, f.GetOperator())
		}
		out.fields = append(out.fields, fieldRequirement{in: f.GetOperator() == "In", names: f.GetValues()})
	}
	return out, nil
}

func operator(op string) (labels.Operator, error) {
	switch op {
	case "In":
		return labels.In, nil
	case "NotIn":
		return labels.NotIn, nil
	case "Exists":
		return labels.Exists, nil
	case "DoesNotExist":
		return labels.DoesNotExist, nil
	case "Gt":
		return labels.GreaterThan, nil
	case "Lt":
		return labels.LessThan, nil
	default:
		return "", fmt.Errorf("%q is not a valid node selector operator", op)
	}
}

// Matches reports whether node satisfies every expression and field of the term; an empty term
// matches nothing.
func (t Term) Matches(node *corev1.Node) bool {
	if len(t.exprs) == 0 && len(t.fields) == 0 {
		return false
	}
	ls := labels.Set(node.GetMetadata().GetLabels())
	for _, r := range t.exprs {
		if !r.Matches(ls) {
			return false
		}
	}
	name := node.GetMetadata().GetName()
	for _, f := range t.fields {
		if slices.Contains(f.names, name) != f.in {
			return false
		}
	}
	return true
}

// NodeNames returns the node names the term pins the pod to, when it has a matchFields
// metadata.name In requirement.
func (t Term) NodeNames() (names []string, pinned bool) {
	for _, f := range t.fields {
		if f.in {
			if !pinned {
				names, pinned = slices.Clone(f.names), true
				continue
			}
			names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(f.names, n) })
		}
	}
	return names, pinned
}
