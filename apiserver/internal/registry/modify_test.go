package registry_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// newConfigMaps starts an apiserver in-process, on an embedded etcd, and returns its configmaps
// store. The server stops when the test ends.
func newConfigMaps(t *testing.T) *registry.Store {
	t.Helper()
	srv := servertest.Start(t)
	st, err := srv.Registry().Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)
	return st
}

func configMap(name, value string) *corev1.ConfigMap {
	return &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": value}}
}

// setData is a ModifyFunc that sets data k of configmap name to value, counting its calls.
func setData(name, value string, calls *int) registry.ModifyFunc {
	return func(cur scheme.Object) (scheme.Object, error) {
		*calls++
		if cur == nil {
			return configMap(name, value), nil
		}
		cur.(*corev1.ConfigMap).Data = map[string]string{"k": value}
		return cur, nil
	}
}

func TestModify(t *testing.T) {
	st := newConfigMaps(t)
	ctx := context.Background()
	name := 0
	// fresh creates a configmap with a name of its own, so cases do not share state.
	fresh := func(t *testing.T) (string, scheme.Object) {
		t.Helper()
		name++
		n := "cm" + strconv.Itoa(name)
		obj, err := st.Create(ctx, "default", configMap(n, "old"), registry.CreateOptions{})
		require.NoError(t, err)
		return n, obj
	}
	data := func(t *testing.T, n string) string {
		t.Helper()
		obj, err := st.Get(ctx, "default", n, registry.GetOptions{})
		require.NoError(t, err)
		return obj.(*corev1.ConfigMap).GetData()["k"]
	}

	t.Run("updates an existing object", func(t *testing.T) {
		n, before := fresh(t)
		calls := 0
		out, created, err := st.Modify(ctx, "default", n, registry.ModifyOptions{Create: true}, setData(n, "new", &calls))
		require.NoError(t, err)
		require.False(t, created)
		require.NotEqual(t, before.GetMetadata().GetResourceVersion(), out.GetMetadata().GetResourceVersion())
		require.Equal(t, "new", data(t, n))
	})

	t.Run("creates a missing object only when asked", func(t *testing.T) {
		calls := 0
		_, _, err := st.Modify(ctx, "default", "cm", registry.ModifyOptions{}, setData("cm", "new", &calls))
		require.True(t, apierrors.IsNotFound(err), "got %v", err)
		require.Zero(t, calls)
		out, created, err := st.Modify(ctx, "default", "cm", registry.ModifyOptions{Create: true}, setData("cm", "new", &calls))
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "default", out.GetMetadata().GetNamespace())
		require.Equal(t, "new", data(t, "cm"))
	})

	t.Run("a dry run stores nothing", func(t *testing.T) {
		n, _ := fresh(t)
		calls := 0
		out, _, err := st.Modify(ctx, "default", n, registry.ModifyOptions{DryRun: true}, setData(n, "new", &calls))
		require.NoError(t, err)
		require.Equal(t, "new", out.(*corev1.ConfigMap).GetData()["k"])
		require.Equal(t, "old", data(t, n))
		out, created, err := st.Modify(ctx, "default", "dry", registry.ModifyOptions{DryRun: true, Create: true}, setData("dry", "new", &calls))
		require.NoError(t, err)
		require.True(t, created)
		require.NotEmpty(t, out.GetMetadata().GetUid())
		_, err = st.Get(ctx, "default", "dry", registry.GetOptions{})
		require.True(t, apierrors.IsNotFound(err), "got %v", err)
	})

	t.Run("a pinned resourceVersion that moved on is a conflict", func(t *testing.T) {
		n, before := fresh(t)
		_, err := st.Update(ctx, "default", configMap(n, "other"), registry.UpdateOptions{})
		require.NoError(t, err)
		_, _, err = st.Modify(ctx, "default", n, registry.ModifyOptions{}, func(cur scheme.Object) (scheme.Object, error) {
			cur.GetMetadata().ResourceVersion = before.GetMetadata().GetResourceVersion()
			cur.(*corev1.ConfigMap).Data = map[string]string{"k": "new"}
			return cur, nil
		})
		require.True(t, apierrors.IsConflict(err), "got %v", err)
		require.Contains(t, err.Error(), apierrors.ModifiedMessage)
		require.Equal(t, "other", data(t, n))
	})

	t.Run("a lost race runs fn again on the newer object", func(t *testing.T) {
		n, _ := fresh(t)
		calls := 0
		_, _, err := st.Modify(ctx, "default", n, registry.ModifyOptions{Retries: 1}, func(cur scheme.Object) (scheme.Object, error) {
			calls++
			if calls == 1 {
				// Another writer gets in between this read and the write.
				_, err := st.Update(ctx, "default", configMap(n, "other"), registry.UpdateOptions{})
				require.NoError(t, err)
			}
			cm := cur.(*corev1.ConfigMap)
			cm.Data["seen"] = cm.Data["k"]
			return cm, nil
		})
		require.NoError(t, err)
		obj, err := st.Get(ctx, "default", n, registry.GetOptions{})
		require.NoError(t, err)
		require.Equal(t, map[string]string{"k": "other", "seen": "other"}, obj.(*corev1.ConfigMap).GetData())
	})

	t.Run("retries are bounded", func(t *testing.T) {
		n, _ := fresh(t)
		calls := 0
		_, _, err := st.Modify(ctx, "default", n, registry.ModifyOptions{Retries: 2}, func(cur scheme.Object) (scheme.Object, error) {
			calls++
			_, err := st.Update(ctx, "default", configMap(n, strconv.Itoa(calls)), registry.UpdateOptions{})
			require.NoError(t, err)
			cur.(*corev1.ConfigMap).Data = map[string]string{"k": "mine"}
			return cur, nil
		})
		require.True(t, apierrors.IsConflict(err), "got %v", err)
		require.Contains(t, err.Error(), apierrors.ModifiedMessage)
		// A first read from the watch cache may cost a free retry.
		require.Contains(t, []int{3, 4}, calls)
	})
}
