package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestCreateChoosesTheUID checks that a uid in a new object's metadata is never kept, and that a
// proposed uid only seeds the uid, so that no two objects can be given one uid.
func TestCreateChoosesTheUID(t *testing.T) {
	st := newConfigMaps(t)
	ctx := context.Background()
	first, err := st.Create(ctx, "default", configMap("first", "v"), registry.CreateOptions{})
	require.NoError(t, err)
	taken := first.GetMetadata().GetUid()

	copied := configMap("copied", "v")
	copied.Metadata.Uid = taken
	out, err := st.Create(ctx, "default", copied, registry.CreateOptions{})
	require.NoError(t, err)
	require.NotEqual(t, taken, out.GetMetadata().GetUid())

	k := st.Kind()
	seen := map[string]bool{taken: true, out.GetMetadata().GetUid(): true}
	for _, name := range []string{"proposed-a", "proposed-b"} {
		out, err := st.Create(ctx, "default", configMap(name, "v"), registry.CreateOptions{UID: taken})
		require.NoError(t, err)
		uid := out.GetMetadata().GetUid()
		require.Equal(t, scheme.CreateUID(k, "default", name, taken), uid)
		require.False(t, seen[uid], "uid %s given twice", uid)
		seen[uid] = true
	}
	_, err = st.Create(ctx, "default", configMap("bad-proposal", "v"), registry.CreateOptions{UID: "not-a-uuid"})
	require.True(t, apierrors.IsBadRequest(err), "got %v", err)
}

// TestPatchMayNotMoveTheObject checks that a patch changing metadata.name or metadata.namespace is
// refused as Kubernetes refuses it, and that one removing the namespace keeps the object's.
func TestPatchMayNotMoveTheObject(t *testing.T) {
	st := newConfigMaps(t)
	ctx := context.Background()
	_, err := st.Create(ctx, "default", configMap("cm", "v"), registry.CreateOptions{})
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		patchType, patch, msg string
	}{
		"merge namespace": {registry.PatchMerge, `{"metadata":{"namespace":"kube-system"}}`,
			"the namespace of the object (kube-system) does not match the namespace on the URL (default)"},
		"JSON namespace": {registry.PatchJSON, `[{"op":"replace","path":"/metadata/namespace","value":"other"}]`,
			"the namespace of the object (other) does not match the namespace on the URL (default)"},
		"merge name": {registry.PatchMerge, `{"metadata":{"name":"other"}}`,
			"the name of the object (other) does not match the name on the URL (cm)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := st.Patch(ctx, "default", "cm", tc.patchType, []byte(tc.patch), registry.PatchOptions{})
			require.True(t, apierrors.IsBadRequest(err), "got %v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
	out, err := st.Patch(ctx, "default", "cm", registry.PatchMerge, []byte(`{"metadata":{"namespace":null},"data":{"k":"w"}}`), registry.PatchOptions{})
	require.NoError(t, err)
	require.Equal(t, "default", out.GetMetadata().GetNamespace())
	require.Equal(t, "w", out.(*corev1.ConfigMap).GetData()["k"])
}

// TestSelfLinkIsNotStored checks that a client's metadata.selfLink is dropped on create and update.
func TestSelfLinkIsNotStored(t *testing.T) {
	st := newConfigMaps(t)
	ctx := context.Background()
	cm := configMap("cm", "v")
	cm.Metadata.SelfLink = "/api/v1/namespaces/default/configmaps/elsewhere"
	out, err := st.Create(ctx, "default", cm, registry.CreateOptions{})
	require.NoError(t, err)
	require.Empty(t, out.GetMetadata().GetSelfLink())

	upd := out.(*corev1.ConfigMap)
	upd.Metadata.SelfLink = "/elsewhere"
	upd.Data["k"] = "w"
	out, err = st.Update(ctx, "default", upd, registry.UpdateOptions{})
	require.NoError(t, err)
	require.Empty(t, out.GetMetadata().GetSelfLink())
	got, err := st.Get(ctx, "default", "cm", registry.GetOptions{})
	require.NoError(t, err)
	require.Empty(t, got.GetMetadata().GetSelfLink())
}

// TestServiceStatusDefaultsIPMode checks that a status write gives a load balancer ingress with an
// ip the ipMode VIP, as Kubernetes defaults it, and keeps an ipMode the client set.
func TestServiceStatusDefaultsIPMode(t *testing.T) {
	st := stores(t, scheme.GroupVersionResource{Version: "v1", Resource: "services"})[0]
	ctx := context.Background()
	svc := &corev1.Service{
		Metadata: &metav1.ObjectMeta{Name: "lb"},
		Spec: &corev1.ServiceSpec{Type: "LoadBalancer", Selector: map[string]string{"app": "a"},
			Ports: []*corev1.ServicePort{{Port: 80}}},
	}
	out, err := st.Create(ctx, "default", svc, registry.CreateOptions{})
	require.NoError(t, err)
	proxy := "Proxy"
	out.(*corev1.Service).Status = &corev1.ServiceStatus{LoadBalancer: &corev1.LoadBalancerStatus{Ingress: []*corev1.LoadBalancerIngress{
		{Ip: "127.0.0.5"}, {Ip: "127.0.0.6", IpMode: &proxy}, {Hostname: "lb.example"},
	}}}
	out, err = st.Update(ctx, "default", out, registry.UpdateOptions{Subresource: "status"})
	require.NoError(t, err)
	var modes []string
	for _, in := range out.(*corev1.Service).GetStatus().GetLoadBalancer().GetIngress() {
		modes = append(modes, in.GetIpMode())
	}
	require.Equal(t, []string{"VIP", "Proxy", ""}, modes)
}
