package daemonset

import (
	"slices"

	"github.com/keelson-dev/keelson/pkg/nodeaffinity"
	"github.com/keelson-dev/keelson/pkg/taints"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The taints Kubernetes' node lifecycle controller and kubelet put on nodes, which daemon pods
// tolerate.
const (
	TaintNotReady           = "node.kubernetes.io/not-ready"
	TaintUnreachable        = "node.kubernetes.io/unreachable"
	TaintDiskPressure       = "node.kubernetes.io/disk-pressure"
	TaintMemoryPressure     = "node.kubernetes.io/memory-pressure"
	TaintPIDPressure        = "node.kubernetes.io/pid-pressure"
	TaintUnschedulable      = "node.kubernetes.io/unschedulable"
	TaintNetworkUnavailable = "node.kubernetes.io/network-unavailable"
)

// daemonTolerations returns spec's tolerations plus the ones every daemon pod gets, each added
// unless spec already has a toleration of that key and effect.
func daemonTolerations(spec *corev1.PodSpec) []*corev1.Toleration {
	out := slices.Clone(spec.GetTolerations())
	add := func(key, effect string) {
		for _, t := range out {
			if t.GetKey() == key && t.GetEffect() == effect {
				return
			}
		}
		out = append(out, &corev1.Toleration{Key: key, Operator: "Exists", Effect: effect})
	}
	add(TaintNotReady, taints.EffectNoExecute)
	add(TaintUnreachable, taints.EffectNoExecute)
	add(TaintDiskPressure, taints.EffectNoSchedule)
	add(TaintMemoryPressure, taints.EffectNoSchedule)
	add(TaintPIDPressure, taints.EffectNoSchedule)
	add(TaintUnschedulable, taints.EffectNoSchedule)
	if spec.GetHostNetwork() {
		add(TaintNetworkUnavailable, taints.EffectNoSchedule)
	}
	return out
}

// placement says whether a node should run a DaemonSet's pod (shouldRun) and whether a pod
// already there may stay (shouldContinue).
type placement struct {
	shouldRun, shouldContinue bool
}

// fitter decides placements for one DaemonSet's template.
type fitter struct {
	required    *nodeaffinity.Required
	tolerations []*corev1.Toleration
}

// newFitter compiles ds's template; an error means its node constraints are invalid.
func newFitter(ds *appsv1.DaemonSet) (*fitter, error) {
	spec := ds.GetSpec().GetTemplate().GetSpec()
	req, err := nodeaffinity.NewRequired(&corev1.Pod{Spec: spec})
	if err != nil {
		return nil, err
	}
	return &fitter{required: req, tolerations: daemonTolerations(spec)}, nil
}

// place returns the placement of the DaemonSet on node.
func (f *fitter) place(node *corev1.Node) placement {
	if !f.required.MatchesSelector(node) || !f.required.MatchesAffinity(node) {
		return placement{}
	}
	nodeTaints := node.GetSpec().GetTaints()
	if taints.FirstUntolerated(nodeTaints, f.tolerations, taints.EffectNoExecute) != nil {
		return placement{}
	}
	return placement{
		shouldRun:      taints.FirstUntolerated(nodeTaints, f.tolerations, taints.EffectNoSchedule) == nil,
		shouldContinue: true,
	}
}
