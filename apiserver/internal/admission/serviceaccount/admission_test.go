package serviceaccount_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/admission/serviceaccount"
	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/registry/registrytest"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

func TestPodsGetTheProjectedTokenVolume(t *testing.T) {
	reg, ctx := registrytest.Start(t)
	ad, err := serviceaccount.New(reg)
	require.NoError(t, err)
	reg.AddMutation(ad)
	registrytest.Namespace(ctx, t, reg, "ns")
	off := false
	accounts := registrytest.Store(t, reg, "serviceaccounts")
	for _, sa := range []*corev1.ServiceAccount{
		{Metadata: &metav1.ObjectMeta{Name: "default"}},
		{Metadata: &metav1.ObjectMeta{Name: "quiet"}, AutomountServiceAccountToken: &off},
	} {
		_, err := accounts.Create(ctx, "ns", sa, registry.CreateOptions{})
		require.NoError(t, err)
	}
	on := true
	tests := []struct {
		name      string
		pod       func(*corev1.Pod)
		account   string
		projected bool
	}{
		{"default account", func(*corev1.Pod) {}, "default", true},
		{"the deprecated field names the account", func(p *corev1.Pod) { p.Spec.ServiceAccount = "quiet"; p.Spec.AutomountServiceAccountToken = &on }, "quiet", true},
		{"a missing account still gets a volume", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "later" }, "later", true},
		{"the pod turns it off", func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = &off }, "default", false},
		{"the account turns it off", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "quiet" }, "quiet", false},
		{"the pod overrides its account", func(p *corev1.Pod) { p.Spec.ServiceAccountName = "quiet"; p.Spec.AutomountServiceAccountToken = &on }, "quiet", true},
		{"something is mounted there already", func(p *corev1.Pod) {
			p.Spec.Volumes = []*corev1.Volume{{Name: "mine", EmptyDir: &corev1.EmptyDirVolumeSource{}}}
			p.Spec.Containers[0].VolumeMounts = []*corev1.VolumeMount{{Name: "mine", MountPath: serviceaccount.MountPath}}
		}, "default", false},
		{"a mirror pod is left alone", func(p *corev1.Pod) { p.Metadata.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"} }, "", false},
	}
	pods := registrytest.Store(t, reg, "pods")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p" + string(rune('a'+i))}, Spec: &corev1.PodSpec{
				InitContainers: []*corev1.Container{{Name: "init", Image: "i"}},
				Containers:     []*corev1.Container{{Name: "a", Image: "i"}, {Name: "b", Image: "i"}},
			}}
			tt.pod(pod)
			// Created through the registry, the volume passes the pod's validation.
			obj, err := pods.Create(context.Background(), "ns", pod, registry.CreateOptions{})
			require.NoError(t, err)
			got := obj.(*corev1.Pod).GetSpec()
			require.Equal(t, tt.account, got.GetServiceAccountName())
			var projected []*corev1.Volume
			for _, v := range got.GetVolumes() {
				if strings.HasPrefix(v.GetName(), serviceaccount.VolumePrefix) {
					projected = append(projected, v)
				}
			}
			if !tt.projected {
				require.Empty(t, projected)
				return
			}
			require.Len(t, projected, 1)
			v := projected[0]
			require.Len(t, v.GetName(), len(serviceaccount.VolumePrefix)+5)
			src := v.GetProjected().GetSources()
			require.Len(t, src, 3)
			require.Equal(t, "token", src[0].GetServiceAccountToken().GetPath())
			require.Equal(t, int64(serviceaccount.TokenExpirationSeconds), src[0].GetServiceAccountToken().GetExpirationSeconds())
			require.Equal(t, serviceaccount.RootCAConfigMap, src[1].GetConfigMap().GetName())
			require.Equal(t, "metadata.namespace", src[2].GetDownwardApi().GetItems()[0].GetFieldRef().GetFieldPath())
			for _, c := range append(got.GetInitContainers(), got.GetContainers()...) {
				require.Contains(t, c.GetVolumeMounts(), &corev1.VolumeMount{Name: v.GetName(), ReadOnly: true, MountPath: serviceaccount.MountPath}, c.GetName())
			}
		})
	}
}
