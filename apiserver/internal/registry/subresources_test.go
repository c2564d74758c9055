package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	autoscalingv1 "github.com/keelson-dev/keelson/proto/autoscaling/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	policyv1 "github.com/keelson-dev/keelson/proto/policy/v1"
)

func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	labels := map[string]string{"app": name}
	return &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: name},
		Spec: &appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels, MatchExpressions: []*metav1.LabelSelectorRequirement{
				{Key: "tier", Operator: "In", Values: []string{"web"}},
			}},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: map[string]string{"app": name, "tier": "web"}},
				Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "i"}}},
			},
		},
	}
}

// TestScale covers the scale subresource: reading it, writing it, and the writes it refuses.
func TestScale(t *testing.T) {
	s := stores(t, replicaSetGVR, configMapsGVR)
	sets, cms := s[0], s[1]
	ctx := context.Background()
	created, err := sets.Create(ctx, "default", replicaSet("front", 2), registry.CreateOptions{FieldManager: "creator"})
	require.NoError(t, err)
	sc, err := sets.GetScale(ctx, "default", "front")
	require.NoError(t, err)
	require.Equal(t, int32(2), sc.GetSpec().GetReplicas())
	require.Equal(t, "app=front,tier in (web)", sc.GetStatus().GetSelector())
	require.Equal(t, created.GetMetadata().GetResourceVersion(), sc.GetMetadata().GetResourceVersion())
	require.Equal(t, created.GetMetadata().GetUid(), sc.GetMetadata().GetUid())
	stale := sc.GetMetadata().GetResourceVersion()

	to := func(replicas int32, m *metav1.ObjectMeta) registry.ScaleFunc {
		return func(*autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
			return &autoscalingv1.Scale{Metadata: m, Spec: &autoscalingv1.ScaleSpec{Replicas: replicas}}, nil
		}
	}
	tests := []struct {
		name string
		fn   registry.ScaleFunc
		opts registry.ScaleOptions
		// check judges the error; replicas is spec.replicas afterwards.
		check    func(error) bool
		replicas int32
	}{
		{"scales up", to(5, nil), registry.ScaleOptions{FieldManager: "scaler"}, noErr, 5},
		{"a dry run stores nothing", to(7, nil), registry.ScaleOptions{DryRun: true, FieldManager: "dry"}, noErr, 5},
		{"the current resourceVersion may be pinned", func(cur *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
			cur.Spec.Replicas = 3
			return cur, nil
		}, registry.ScaleOptions{FieldManager: "scaler"}, noErr, 3},
		{"a stale resourceVersion conflicts", to(1, &metav1.ObjectMeta{ResourceVersion: stale}), registry.ScaleOptions{}, apierrors.IsConflict, 3},
		{"replicas may not be negative", to(-1, nil), registry.ScaleOptions{}, apierrors.IsInvalid, 3},
		{"the name must match", to(1, &metav1.ObjectMeta{Name: "back"}), registry.ScaleOptions{}, apierrors.IsBadRequest, 3},
		{"the namespace must match", to(1, &metav1.ObjectMeta{Namespace: "kube-system"}), registry.ScaleOptions{}, apierrors.IsBadRequest, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := sets.UpdateScale(ctx, "default", "front", tc.opts, tc.fn)
			require.True(t, tc.check(err), "got %v", err)
			if err == nil && !tc.opts.DryRun {
				require.Equal(t, tc.replicas, out.GetSpec().GetReplicas())
			}
			rs, err := sets.Get(ctx, "default", "front", registry.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, tc.replicas, rs.(*appsv1.ReplicaSet).GetSpec().GetReplicas())
		})
	}
	rs, err := sets.Get(ctx, "default", "front", registry.GetOptions{})
	require.NoError(t, err)
	require.Contains(t, managersOf(rs), "scaler Update", "a scale records its manager on the workload")

	_, err = sets.GetScale(ctx, "default", "missing")
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
	_, err = sets.UpdateScale(ctx, "default", "", registry.ScaleOptions{}, to(1, nil))
	require.True(t, apierrors.IsInvalid(err), "got %v", err)
	_, err = cms.GetScale(ctx, "default", "front")
	require.True(t, isMethodNotAllowed(err), "got %v", err)
	_, err = cms.UpdateScale(ctx, "default", "front", registry.ScaleOptions{}, to(1, nil))
	require.True(t, isMethodNotAllowed(err), "got %v", err)
}

// TestEvict covers the eviction subresource: an eviction is the pod's delete with the eviction's
// options.
func TestEvict(t *testing.T) {
	s := stores(t, podsGVR, configMapsGVR)
	pods, cms := s[0], s[1]
	ctx := context.Background()
	newPod := func(t *testing.T, name string, bound bool) *corev1.Pod {
		t.Helper()
		p := &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: name}, Spec: &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "i"}}}}
		if bound {
			p.Spec.NodeName = "node-1"
		}
		out, err := pods.Create(ctx, "default", p, registry.CreateOptions{})
		require.NoError(t, err)
		return out.(*corev1.Pod)
	}
	str := func(s string) *string { return &s }
	grace := func(n int64) *int64 { return &n }
	tests := []struct {
		name  string
		bound bool
		// eviction returns the eviction of the pod p.
		eviction func(p *corev1.Pod) *policyv1.Eviction
		dryRun   bool
		check    func(error) bool
		// gone says whether the pod is gone afterwards; otherwise terminating says whether it is
		// marked deleted.
		gone, terminating bool
	}{
		{"an unbound pod goes at once", false, func(*corev1.Pod) *policyv1.Eviction { return &policyv1.Eviction{} }, false, noErr, true, false},
		{"a bound pod gets its grace period", true, func(*corev1.Pod) *policyv1.Eviction { return &policyv1.Eviction{} }, false, noErr, false, true},
		{"a zero grace period deletes a bound pod", true, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{GracePeriodSeconds: grace(0)}}
		}, false, noErr, true, false},
		{"the eviction may name the pod", false, func(p *corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{Metadata: &metav1.ObjectMeta{Name: p.GetMetadata().GetName(), Namespace: "default"}}
		}, false, noErr, true, false},
		{"a request dry run keeps the pod", false, func(*corev1.Pod) *policyv1.Eviction { return &policyv1.Eviction{} }, true, noErr, false, false},
		{"an options dry run keeps the pod", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{DryRun: []string{"All"}}}
		}, false, noErr, false, false},
		{"a matching precondition deletes", false, func(p *corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{Preconditions: &policyv1.Preconditions{Uid: str(p.GetMetadata().GetUid())}}}
		}, false, noErr, true, false},
		{"a stale precondition conflicts", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{Preconditions: &policyv1.Preconditions{ResourceVersion: str("1")}}}
		}, false, apierrors.IsConflict, false, false},
		{"another pod's name is refused", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{Metadata: &metav1.ObjectMeta{Name: "other"}}
		}, false, apierrors.IsBadRequest, false, false},
		{"another namespace is refused", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{Metadata: &metav1.ObjectMeta{Namespace: "kube-system"}}
		}, false, apierrors.IsBadRequest, false, false},
		{"an unknown dry run is refused", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{DryRun: []string{"Some"}}}
		}, false, apierrors.IsBadRequest, false, false},
		{"an unknown propagation policy is refused", false, func(*corev1.Pod) *policyv1.Eviction {
			return &policyv1.Eviction{DeleteOptions: &policyv1.DeleteOptions{PropagationPolicy: str("Sideways")}}
		}, false, apierrors.IsBadRequest, false, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPod(t, "p"+string(rune('a'+i)), tc.bound)
			name := p.GetMetadata().GetName()
			err := pods.Evict(ctx, "default", name, tc.eviction(p), tc.dryRun)
			require.True(t, tc.check(err), "got %v", err)
			got, err := pods.Get(ctx, "default", name, registry.GetOptions{})
			if tc.gone {
				require.True(t, apierrors.IsNotFound(err), "the pod is still there: %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.terminating, got.GetMetadata().GetDeletionTimestamp() != nil)
		})
	}
	err := pods.Evict(ctx, "default", "missing", &policyv1.Eviction{}, false)
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
	err = cms.Evict(ctx, "default", "cm", &policyv1.Eviction{}, false)
	require.True(t, isMethodNotAllowed(err), "only pods are evicted: %v", err)
}
