// Package tolerationseconds is the DefaultTolerationSeconds admission of pods: a pod created
// without a toleration of the node.kubernetes.io/not-ready or node.kubernetes.io/unreachable
// NoExecute taint gets one for a bounded time (300 s by default), so that the node lifecycle
// controller evicts it that long after its node fails instead of at once.
package tolerationseconds

import (
	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

// The taints whose tolerations are defaulted, as Kubernetes names them.
const (
	TaintNotReady    = "node.kubernetes.io/not-ready"
	TaintUnreachable = "node.kubernetes.io/unreachable"
)

// DefaultSeconds is Kubernetes' default for both tolerations.
const DefaultSeconds = 300

// Defaulter adds the tolerations, NotReady and Unreachable seconds long. Its zero value adds
// tolerations of zero seconds (evict at once).
type Defaulter struct {
	NotReady, Unreachable int64
}

// Default adds to pod, in place, a toleration of each taint that none of its tolerations already
// covers (a toleration covers a taint when its key is the taint's or empty and its effect
// NoExecute or empty, whatever its operator, as Kubernetes checks).
func (d Defaulter) Default(pod *corev1.Pod) {
	if pod.Spec == nil {
		pod.Spec = &corev1.PodSpec{}
	}
	for _, t := range []struct {
		key     string
		seconds int64
	}{{TaintNotReady, d.NotReady}, {TaintUnreachable, d.Unreachable}} {
		if !covered(pod.Spec.Tolerations, t.key) {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, &corev1.Toleration{
				Key: t.key, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(t.seconds),
			})
		}
	}
}

func covered(tols []*corev1.Toleration, key string) bool {
	for _, tol := range tols {
		if (tol.GetKey() == key || tol.GetKey() == "") && (tol.GetEffect() == "NoExecute" || tol.GetEffect() == "") {
			return true
		}
	}
	return false
}
