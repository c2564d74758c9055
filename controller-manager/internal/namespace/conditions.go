package namespace

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The namespace condition types, as Kubernetes names them.
const (
	ConditionDiscoveryFailure     = "NamespaceDeletionDiscoveryFailure"
	ConditionGroupVersionParsing  = "NamespaceDeletionGroupVersionParsingFailure"
	ConditionContentFailure       = "NamespaceDeletionContentFailure"
	ConditionContentRemaining     = "NamespaceContentRemaining"
	ConditionFinalizersRemaining  = "NamespaceFinalizersRemaining"
	conditionTrue, conditionFalse = "True", "False"
)

// progress is what one pass over a namespace's content found.
type progress struct {
	// failures are the errors of listing or deleting content, one per kind at most.
	failures []string
	// remaining counts the objects still there, by resource.
	remaining map[string]int
	// finalizers counts the objects still there, by finalizer that holds them.
	finalizers map[string]int
}

// done reports whether the namespace is empty and nothing failed.
func (p progress) done() bool { return len(p.failures) == 0 && len(p.remaining) == 0 }

// conditions renders p as the five deletion conditions.
func (p progress) conditions() []*corev1.NamespaceCondition {
	out := []*corev1.NamespaceCondition{
		{Type: ConditionDiscoveryFailure, Status: conditionFalse, Reason: "ResourcesDiscovered", Message: "All resources successfully discovered"},
		{Type: ConditionGroupVersionParsing, Status: conditionFalse, Reason: "ParsedGroupVersions", Message: "All legacy kube types successfully parsed"},
	}
	if len(p.failures) > 0 {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionContentFailure, Status: conditionTrue, Reason: "ContentDeletionFailed",
			Message: fmt.Sprintf("Failed to delete all resource types, %d remaining: %s", len(p.failures), strings.Join(p.failures, ", "))})
	} else {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionContentFailure, Status: conditionFalse, Reason: "ContentDeleted",
			Message: "All content successfully deleted, may be waiting on finalization"})
	}
	if len(p.remaining) > 0 {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionContentRemaining, Status: conditionTrue, Reason: "SomeResourcesRemain",
			Message: "Some resources are remaining: " + counts(p.remaining, "has")})
	} else {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionContentRemaining, Status: conditionFalse, Reason: "ContentRemoved",
			Message: "All content successfully removed"})
	}
	if len(p.finalizers) > 0 {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionFinalizersRemaining, Status: conditionTrue, Reason: "SomeFinalizersRemain",
			Message: "Some content in the namespace has finalizers remaining: " + counts(p.finalizers, "in")})
	} else {
		out = append(out, &corev1.NamespaceCondition{Type: ConditionFinalizersRemaining, Status: conditionFalse, Reason: "ContentHasNoFinalizers",
			Message: "All content-preserving finalizers finished"})
	}
	return out
}

// counts renders "a <verb> 2 resource instances, b <verb> 1 resource instances" in name order, as
// Kubernetes words it.
func counts(m map[string]int, verb string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %s %d resource instances", k, verb, m[k]))
	}
	return strings.Join(parts, ", ")
}

// mergeConditions returns cur with the conditions of want replaced or added; a condition whose
// status did not change keeps its lastTransitionTime. changed reports whether anything differs.
func mergeConditions(cur, want []*corev1.NamespaceCondition, now time.Time) (out []*corev1.NamespaceCondition, changed bool) {
	byType := map[string]*corev1.NamespaceCondition{}
	for _, c := range cur {
		byType[c.GetType()] = c
	}
	for _, w := range want {
		old, ok := byType[w.GetType()]
		w = proto.Clone(w).(*corev1.NamespaceCondition)
		if ok && old.GetStatus() == w.GetStatus() {
			w.LastTransitionTime = old.GetLastTransitionTime()
		} else {
			w.LastTransitionTime = timestamppb.New(now)
		}
		if !ok || !proto.Equal(old, w) {
			changed = true
		}
		byType[w.GetType()] = w
	}
	for _, c := range cur {
		out = append(out, byType[c.GetType()])
		delete(byType, c.GetType())
	}
	for _, w := range want {
		if c, ok := byType[w.GetType()]; ok {
			out = append(out, c)
		}
	}
	return out, changed
}
