package tolerationseconds

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestDefault(t *testing.T) {
	notReady := &corev1.Toleration{Key: TaintNotReady, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(300)}
	unreachable := &corev1.Toleration{Key: TaintUnreachable, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(200)}
	tests := []struct {
		name string
		tols []*corev1.Toleration
		want []*corev1.Toleration
	}{{
		name: "none: both added",
		want: []*corev1.Toleration{notReady, unreachable},
	}, {
		name: "an own toleration of one is kept, the other added",
		tols: []*corev1.Toleration{{Key: TaintUnreachable, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(5)}},
		want: []*corev1.Toleration{{Key: TaintUnreachable, Operator: "Exists", Effect: "NoExecute", TolerationSeconds: proto.Int64(5)}, notReady},
	}, {
		name: "a toleration of every taint covers both",
		tols: []*corev1.Toleration{{Operator: "Exists"}},
		want: []*corev1.Toleration{{Operator: "Exists"}},
	}, {
		name: "a NoSchedule toleration covers nothing",
		tols: []*corev1.Toleration{{Key: TaintNotReady, Operator: "Exists", Effect: "NoSchedule"}},
		want: []*corev1.Toleration{{Key: TaintNotReady, Operator: "Exists", Effect: "NoSchedule"}, notReady, unreachable},
	}, {
		name: "a toleration of the key for every effect covers it",
		tols: []*corev1.Toleration{{Key: TaintNotReady, Operator: "Exists"}},
		want: []*corev1.Toleration{{Key: TaintNotReady, Operator: "Exists"}, unreachable},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: &corev1.PodSpec{Tolerations: tt.tols}}
			Defaulter{NotReady: 300, Unreachable: 200}.Default(pod)
			require.Len(t, pod.Spec.Tolerations, len(tt.want))
			for i := range tt.want {
				require.True(t, proto.Equal(tt.want[i], pod.Spec.Tolerations[i]), "toleration %d: %v", i, pod.Spec.Tolerations[i])
			}
		})
	}
}
