package taints_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/taints"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
)

func TestTolerates(t *testing.T) {
	gpu := &corev1.Taint{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"}
	tests := []struct {
		name string
		tol  *corev1.Toleration
		want bool
	}{
		{name: "equal key, value and effect", tol: &corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "gpu", Effect: "NoSchedule"}, want: true},
		{name: "operator defaults to Equal", tol: &corev1.Toleration{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"}, want: true},
		{name: "any effect", tol: &corev1.Toleration{Key: "dedicated", Value: "gpu"}, want: true},
		{name: "other value", tol: &corev1.Toleration{Key: "dedicated", Value: "cpu", Effect: "NoSchedule"}},
		{name: "other effect", tol: &corev1.Toleration{Key: "dedicated", Value: "gpu", Effect: "NoExecute"}},
		{name: "other key", tol: &corev1.Toleration{Key: "team", Value: "gpu"}},
		{name: "exists on the key", tol: &corev1.Toleration{Key: "dedicated", Operator: "Exists"}, want: true},
		{name: "exists without a key tolerates everything", tol: &corev1.Toleration{Operator: "Exists"}, want: true},
		{name: "equal without a key is invalid and tolerates nothing", tol: &corev1.Toleration{Operator: "Equal", Value: "gpu"}},
		{name: "unknown operator", tol: &corev1.Toleration{Key: "dedicated", Operator: "Like", Value: "gpu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, taints.Tolerates(tt.tol, gpu))
		})
	}
}

func TestFirstUntolerated(t *testing.T) {
	ts := []*corev1.Taint{
		{Key: "soft", Effect: "PreferNoSchedule"},
		{Key: "dedicated", Value: "gpu", Effect: "NoSchedule"},
		{Key: "evict", Effect: "NoExecute"},
	}
	got := taints.FirstUntolerated(ts, nil, taints.EffectNoSchedule, taints.EffectNoExecute)
	require.Equal(t, "dedicated=gpu:NoSchedule", taints.Format(got))
	tols := []*corev1.Toleration{{Key: "dedicated", Operator: "Exists"}}
	require.Equal(t, "evict:NoExecute", taints.Format(taints.FirstUntolerated(ts, tols, taints.EffectNoSchedule, taints.EffectNoExecute)))
	tols = append(tols, &corev1.Toleration{Key: "evict", Operator: "Exists", Effect: "NoExecute"})
	require.Nil(t, taints.FirstUntolerated(ts, tols, taints.EffectNoSchedule, taints.EffectNoExecute))
}
