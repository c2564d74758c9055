package nodeaffinity_test

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// A pod that needs an SSD and prefers zone z1: compile its constraints once, then match nodes.
func Example() {
	pod := &corev1.Pod{Spec: &corev1.PodSpec{
		NodeSelector: map[string]string{"disk": "ssd"},
		Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []*corev1.PreferredSchedulingTerm{{
				Weight: 10,
				Preference: &corev1.NodeSelectorTerm{MatchExpressions: []*corev1.NodeSelectorRequirement{
					{Key: "zone", Operator: "In", Values: []string{"z1"}}}},
			}},
		}},
	}}
	required, err := nodeaffinity.NewRequired(pod)
	if err != nil {
		fmt.Println(err)
		return
	}
	preferred, err := nodeaffinity.NewPreferred(pod)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range []*corev1.Node{
		{Metadata: &metav1.ObjectMeta{Name: "a", Labels: map[string]string{"disk": "ssd", "zone": "z1"}}},
		{Metadata: &metav1.ObjectMeta{Name: "b", Labels: map[string]string{"disk": "ssd", "zone": "z2"}}},
		{Metadata: &metav1.ObjectMeta{Name: "c", Labels: map[string]string{"disk": "hdd", "zone": "z1"}}},
	} {
		fits := required.MatchesSelector(n) && required.MatchesAffinity(n)
		fmt.Printf("%s fits=%v score=%d\n", n.GetMetadata().GetName(), fits, preferred.Score(n))
	}
	// Output:
	// a fits=true score=10
	// b fits=true score=0
	// c fits=false score=10
}

// A term naming nodes by metadata.name pins the pod to them, as the DaemonSet controller does.
func ExampleRequired_NodeNames() {
	pod := &corev1.Pod{Spec: &corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []*corev1.NodeSelectorTerm{{
			MatchFields: []*corev1.NodeSelectorRequirement{
				{Key: nodeaffinity.NodeNameField, Operator: "In", Values: []string{"node-7"}}},
		}}},
	}}}}
	required, err := nodeaffinity.NewRequired(pod)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(required.NodeNames())
	// Output: [node-7] true
}
