package labels_test

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/labels"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func ExampleParse() {
	sel, err := labels.Parse("tier in (frontend,cache), app=web, !canary")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.String())
	fmt.Println(sel.Matches(labels.Set{"app": "web", "tier": "cache"}))
	fmt.Println(sel.Matches(labels.Set{"app": "web", "tier": "cache", "canary": "true"}))

	_, err = labels.Parse("app in web")
	fmt.Println(err)
	// Output:
	// app=web,!canary,tier in (cache,frontend)
	// true
	// false
	// invalid label selector "app in web": found 'web', expected: '('
}

func ExampleFromLabelSelector() {
	// A ReplicaSet's spec.selector.
	sel, err := labels.FromLabelSelector(&metav1.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []*metav1.LabelSelectorRequirement{
			{Key: "track", Operator: labels.LabelSelectorOpNotIn, Values: []string{"canary"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.String())
	fmt.Println(sel.Matches(labels.Set{"app": "web", "track": "stable"}))

	nothing, _ := labels.FromLabelSelector(nil)
	fmt.Println(nothing.Matches(labels.Set{"app": "web"}))
	// Output:
	// app=web,track notin (canary)
	// true
	// false
}
