package nodeaffinity

import (
	"fmt"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// Preferred is a pod's soft node affinity: weighted terms.
type Preferred struct {
	terms   []Term
	weights []int64
}

// NewPreferred compiles pod's preferred node affinity terms; terms of weight 0 are dropped.
func NewPreferred(pod *corev1.Pod) (*Preferred, error) {
	p := &Preferred{}
	for i, t := range pod.GetSpec().GetAffinity().GetNodeAffinity().GetPreferredDuringSchedulingIgnoredDuringExecution() {
		if t.GetWeight() == 0 {
			continue
		}
		ct, err := CompileTerm(t.GetPreference())
		if err != nil {
			return nil, fmt.Errorf("nodeAffinity.preferred[%d].preference: %w", i, err)
		}
		p.terms = append(p.terms, ct)
		p.weights = append(p.weights, int64(t.GetWeight()))
	}
	return p, nil
}

// Empty reports whether there are no preferences.
func (p *Preferred) Empty() bool { return len(p.terms) == 0 }

// Score returns the sum of the weights of the terms node matches.
func (p *Preferred) Score(node *corev1.Node) int64 {
	var sum int64
	for i, t := range p.terms {
		if t.Matches(node) {
			sum += p.weights[i]
		}
	}
	return sum
}
