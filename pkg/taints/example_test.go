package taints_test

import (
	"fmt"

	"github.com/keelson-dev/keelson/pkg/taints"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// A node dedicated to GPU work repels a pod until the pod tolerates the taint.
func ExampleFirstUntolerated() {
	nodeTaints := []*corev1.Taint{
		{Key: "soft", Effect: taints.EffectPreferNoSchedule},
		{Key: "dedicated", Value: "gpu", Effect: taints.EffectNoSchedule},
	}
	var tols []*corev1.Toleration
	if t := taints.FirstUntolerated(nodeTaints, tols, taints.EffectNoSchedule, taints.EffectNoExecute); t != nil {
		fmt.Println("refused:", taints.Format(t))
	}
	tols = append(tols, &corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "gpu"})
	if taints.FirstUntolerated(nodeTaints, tols, taints.EffectNoSchedule, taints.EffectNoExecute) == nil {
		fmt.Println("admitted")
	}
	// Output:
	// refused: dedicated=gpu:NoSchedule
	// admitted
}

// An Exists toleration without a key tolerates every taint.
func ExampleTolerates() {
	taint := &corev1.Taint{Key: "node.kubernetes.io/unreachable", Effect: taints.EffectNoExecute}
	fmt.Println(taints.Tolerates(&corev1.Toleration{Operator: "Exists"}, taint))
	fmt.Println(taints.Tolerates(&corev1.Toleration{Key: "node.kubernetes.io/not-ready", Operator: "Exists"}, taint))
	// Output:
	// true
	// false
}
