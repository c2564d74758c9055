package nodeinfo

import (
	"errors"
	"fmt"

	"github.com/keelson-dev/keelson/pkg/labels"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// AffinityTerm is a compiled PodAffinityTerm: which pods it selects, in which namespaces, over
// which topology; Weight is set for preferred terms.
type AffinityTerm struct {
	Selector labels.Selector
	// Namespaces the term looks in; with NamespaceSelector nil and Namespaces empty it is the
	// owning pod's namespace.
	Namespaces map[string]struct{}
	// NamespaceSelector, when not nil, adds the namespaces whose labels it matches.
	NamespaceSelector labels.Selector
	TopologyKey       string
	Weight            int32
}

// NamespaceLabels returns the labels of a namespace, nil when it is unknown.
type NamespaceLabels func(namespace string) map[string]string

// Matches reports whether the term selects pod. nsLabels resolves namespace selectors; with nil,
// a namespace selector matches only when it is empty (all namespaces).
func (t *AffinityTerm) Matches(pod *corev1.Pod, nsLabels NamespaceLabels) bool {
	m := pod.GetMetadata()
	if !t.namespaceMatches(m.GetNamespace(), nsLabels) {
		return false
	}
	return t.Selector.Matches(labels.Set(m.GetLabels()))
}

func (t *AffinityTerm) namespaceMatches(ns string, nsLabels NamespaceLabels) bool {
	if _, ok := t.Namespaces[ns]; ok {
		return true
	}
	if t.NamespaceSelector == nil {
		return false
	}
	if t.NamespaceSelector.Empty() {
		return true
	}
	if nsLabels == nil {
		return false
	}
	return t.NamespaceSelector.Matches(labels.Set(nsLabels(ns)))
}

// compileAffinity compiles the pod's inter-pod affinity terms.
func (pi *PodInfo) compileAffinity() error {
	a := pi.Pod.GetSpec().GetAffinity()
	if a == nil {
		return nil
	}
	var errs []error
	compile := func(what string, terms []*corev1.PodAffinityTerm, weights []int32) []AffinityTerm {
		var out []AffinityTerm
		for i, term := range terms {
			t, err := newAffinityTerm(pi.Pod, term)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", what, i, err))
				continue
			}
			if weights != nil {
				t.Weight = weights[i]
			}
			out = append(out, t)
		}
		return out
	}
	weighted := func(ws []*corev1.WeightedPodAffinityTerm) ([]*corev1.PodAffinityTerm, []int32) {
		terms := make([]*corev1.PodAffinityTerm, len(ws))
		weights := make([]int32, len(ws))
		for i, w := range ws {
			terms[i], weights[i] = w.GetPodAffinityTerm(), w.GetWeight()
		}
		return terms, weights
	}
	pa, paa := a.GetPodAffinity(), a.GetPodAntiAffinity()
	pi.RequiredAffinity = compile("podAffinity.required", pa.GetRequiredDuringSchedulingIgnoredDuringExecution(), nil)
	pi.RequiredAntiAffinity = compile("podAntiAffinity.required", paa.GetRequiredDuringSchedulingIgnoredDuringExecution(), nil)
	terms, weights := weighted(pa.GetPreferredDuringSchedulingIgnoredDuringExecution())
	pi.PreferredAffinity = compile("podAffinity.preferred", terms, weights)
	terms, weights = weighted(paa.GetPreferredDuringSchedulingIgnoredDuringExecution())
	pi.PreferredAntiAffinity = compile("podAntiAffinity.preferred", terms, weights)
	return errors.Join(errs...)
}

// newAffinityTerm compiles term of pod. matchLabelKeys and mismatchLabelKeys become requirements
// on the values of the pod's own labels, as in Kubernetes.
func newAffinityTerm(pod *corev1.Pod, term *corev1.PodAffinityTerm) (AffinityTerm, error) {
	if term.GetTopologyKey() == "" {
		return AffinityTerm{}, errors.New("topologyKey is required")
	}
	ls := term.GetLabelSelector()
	own := pod.GetMetadata().GetLabels()
	if len(term.GetMatchLabelKeys())+len(term.GetMismatchLabelKeys()) > 0 && ls != nil {
		ls = &metav1.LabelSelector{
			MatchLabels:      ls.GetMatchLabels(),
			MatchExpressions: append([]*metav1.LabelSelectorRequirement(nil), ls.GetMatchExpressions()...),
		}
		for _, k := range term.GetMatchLabelKeys() {
			if v, ok := own[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions, &metav1.LabelSelectorRequirement{Key: k, Operator: labels.LabelSelectorOpIn, Values: []string{v}})
			}
		}
		for _, k := range term.GetMismatchLabelKeys() {
			if v, ok := own[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions, &metav1.LabelSelectorRequirement{Key: k, Operator: labels.LabelSelectorOpNotIn, Values: []string{v}})
			}
		}
	}
	sel, err := labels.FromLabelSelector(ls)
	if err != nil {
		return AffinityTerm{}, fmt.Errorf("labelSelector: %w", err)
	}
	t := AffinityTerm{Selector: sel, TopologyKey: term.GetTopologyKey(), Namespaces: map[string]struct{}{}}
	for _, ns := range term.GetNamespaces() {
		t.Namespaces[ns] = struct{}{}
	}
	if term.GetNamespaceSelector() != nil {
		if t.NamespaceSelector, err = labels.FromLabelSelector(term.GetNamespaceSelector()); err != nil {
			return AffinityTerm{}, fmt.Errorf("namespaceSelector: %w", err)
		}
	} else if len(t.Namespaces) == 0 {
		t.Namespaces[pod.GetMetadata().GetNamespace()] = struct{}{}
	}
	return t, nil
}
