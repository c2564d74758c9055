package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// managersOf returns "manager operation" for every managedFields entry of obj.
func managersOf(obj scheme.Object) []string {
	var out []string
	for _, e := range obj.GetMetadata().GetManagedFields() {
		out = append(out, e.GetManager()+" "+e.GetOperation())
	}
	return out
}

// stores starts an apiserver in-process and returns its store of each named resource.
func stores(t *testing.T, gvrs ...scheme.GroupVersionResource) []*registry.Store {
	t.Helper()
	srv := servertest.Start(t)
	out := make([]*registry.Store, len(gvrs))
	for i, gvr := range gvrs {
		st, err := srv.Registry().Store(gvr)
		require.NoError(t, err)
		out[i] = st
	}
	return out
}

var (
	configMapsGVR = scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	podsGVR       = scheme.GroupVersionResource{Version: "v1", Resource: "pods"}
	replicaSetGVR = scheme.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
)

// TestWritesRecordManagedFields checks that every write of an object records its manager, and only
// a write of the object: status writes and unchanged objects record nothing.
func TestWritesRecordManagedFields(t *testing.T) {
	st := stores(t, configMapsGVR)[0]
	ctx := context.Background()
	tests := []struct {
		name string
		// write changes the configmap cm, created by "creator".
		write func(t *testing.T, cm *corev1.ConfigMap) (scheme.Object, error)
		want  []string
	}{
		{"create", func(*testing.T, *corev1.ConfigMap) (scheme.Object, error) {
			return st.Get(ctx, "default", "cm", registry.GetOptions{})
		}, []string{"creator Update"}},
		{"update", func(_ *testing.T, cm *corev1.ConfigMap) (scheme.Object, error) {
			cm.Data["b"] = "2"
			return st.Update(ctx, "default", cm, registry.UpdateOptions{FieldManager: "updater"})
		}, []string{"creator Update", "updater Update"}},
		{"update naming no manager keeps the managedFields", func(_ *testing.T, cm *corev1.ConfigMap) (scheme.Object, error) {
			cm.Data["b"] = "2"
			cm.Metadata.ManagedFields = nil
			return st.Update(ctx, "default", cm, registry.UpdateOptions{})
		}, []string{"creator Update"}},
		{"merge patch naming no manager", func(*testing.T, *corev1.ConfigMap) (scheme.Object, error) {
			return st.Patch(ctx, "default", "cm", registry.PatchMerge, []byte(`{"data":{"c":"3"}}`), registry.PatchOptions{})
		}, []string{"creator Update"}},
		{"update that changes nothing", func(_ *testing.T, cm *corev1.ConfigMap) (scheme.Object, error) {
			return st.Update(ctx, "default", cm, registry.UpdateOptions{FieldManager: "idle"})
		}, []string{"creator Update"}},
		{"merge patch", func(*testing.T, *corev1.ConfigMap) (scheme.Object, error) {
			return st.Patch(ctx, "default", "cm", registry.PatchMerge, []byte(`{"data":{"c":"3"}}`), registry.PatchOptions{FieldManager: "patcher"})
		}, []string{"creator Update", "patcher Update"}},
		{"modify", func(*testing.T, *corev1.ConfigMap) (scheme.Object, error) {
			out, _, err := st.Modify(ctx, "default", "cm", registry.ModifyOptions{FieldManager: "modifier"}, func(cur scheme.Object) (scheme.Object, error) {
				cur.(*corev1.ConfigMap).Data["d"] = "4"
				return cur, nil
			})
			return out, err
		}, []string{"creator Update", "modifier Update"}},
		{"apply", func(*testing.T, *corev1.ConfigMap) (scheme.Object, error) {
			out, _, err := st.Apply(ctx, "default", "cm", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"e":"5"}}`),
				registry.ApplyOptions{FieldManager: "applier"})
			return out, err
		}, []string{"creator Update", "applier Apply"}},
		{"a lost race is tracked against the newer object", func(t *testing.T, _ *corev1.ConfigMap) (scheme.Object, error) {
			t.Helper()
			calls := 0
			out, _, err := st.Modify(ctx, "default", "cm", registry.ModifyOptions{FieldManager: "late"}, func(cur scheme.Object) (scheme.Object, error) {
				if calls++; calls == 1 {
					// Another writer gets in between this read and the write.
					_, err := st.Patch(ctx, "default", "cm", registry.PatchMerge, []byte(`{"data":{"x":"1"}}`), registry.PatchOptions{FieldManager: "early"})
					require.NoError(t, err)
				}
				cur.(*corev1.ConfigMap).Data["y"] = "2"
				return cur, nil
			})
			return out, err
		}, []string{"creator Update", "early Update", "late Update"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := st.Delete(ctx, "default", "cm", registry.DeleteOptions{})
			if err != nil {
				require.True(t, apierrors.IsNotFound(err), "got %v", err)
			}
			created, err := st.Create(ctx, "default", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"a": "1"}},
				registry.CreateOptions{FieldManager: "creator"})
			require.NoError(t, err)
			out, err := tc.write(t, created.(*corev1.ConfigMap))
			require.NoError(t, err)
			require.ElementsMatch(t, tc.want, managersOf(out))
			stored, err := st.Get(ctx, "default", "cm", registry.GetOptions{})
			require.NoError(t, err)
			require.ElementsMatch(t, tc.want, managersOf(stored))
		})
	}
}

// TestApply covers server-side apply: creation, conflicts, force and the checks of its input.
func TestApply(t *testing.T) {
	st := stores(t, configMapsGVR)[0]
	ctx := context.Background()
	cfg := func(ns, value string) []byte {
		return []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","namespace":"` + ns + `"},"data":{"k":"` + value + `"}}`)
	}
	// The first apply creates the object; each case then applies to it.
	out, created, err := st.Apply(ctx, "default", "cm", cfg("", "v1"), registry.ApplyOptions{FieldManager: "owner"})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, []string{"owner Apply"}, managersOf(out))

	tests := []struct {
		name   string
		ns     string
		config []byte
		opts   registry.ApplyOptions
		// check judges the error; value is data.k afterwards.
		check func(error) bool
		value string
	}{
		{"the owner changes its field", "default", cfg("default", "v2"), registry.ApplyOptions{FieldManager: "owner"}, noErr, "v2"},
		{"another manager conflicts", "default", cfg("", "v3"), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsConflict, "v2"},
		{"a dry run stores nothing", "default", cfg("", "v3"), registry.ApplyOptions{FieldManager: "owner", DryRun: true}, noErr, "v2"},
		{"force takes the field", "default", cfg("", "v3"), registry.ApplyOptions{FieldManager: "other", Force: true}, noErr, "v3"},
		{"the manager is required", "default", cfg("", "v4"), registry.ApplyOptions{}, apierrors.IsInvalid, "v3"},
		{"only the object is applied", "default", cfg("", "v4"), registry.ApplyOptions{FieldManager: "other", Subresource: "status"}, isMethodNotAllowed, "v3"},
		{"the namespaces must match", "default", cfg("kube-system", "v4"), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsBadRequest, "v3"},
		{"the kind must match", "default", []byte(`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"cm"}}`), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsBadRequest, "v3"},
		{"the name must match", "default", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsBadRequest, "v3"},
		{"the configuration is an object", "default", []byte(`- a`), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsBadRequest, "v3"},
		{"the request names a namespace", "", cfg("", "v4"), registry.ApplyOptions{FieldManager: "other"}, apierrors.IsBadRequest, "v3"},
		{"one YAML document", "default", append(cfg("", "v4"), "\n---\n"+string(cfg("", "v5"))...), registry.ApplyOptions{FieldManager: "other", Force: true}, apierrors.IsBadRequest, "v3"},
		{"one JSON value", "default", append(cfg("", "v4"), cfg("", "v5")...), registry.ApplyOptions{FieldManager: "other", Force: true}, apierrors.IsBadRequest, "v3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, created, err := st.Apply(ctx, tc.ns, "cm", tc.config, tc.opts)
			require.True(t, tc.check(err), "got %v", err)
			require.False(t, created)
			cur, err := st.Get(ctx, "default", "cm", registry.GetOptions{})
			require.NoError(t, err)
			require.Equal(t, tc.value, cur.(*corev1.ConfigMap).GetData()["k"])
		})
	}
	conflict := func() error {
		_, _, err := st.Apply(ctx, "default", "cm", cfg("", "v5"), registry.ApplyOptions{FieldManager: "owner"})
		return err
	}()
	require.True(t, apierrors.IsConflict(conflict), "the forced field now belongs to other: %v", conflict)
	require.Equal(t, []apierrors.Cause{{Type: "FieldManagerConflict", Message: `conflict with "other"`, Field: ".data.k"}}, apierrors.Causes(conflict))
}

// TestPatchForceOnlyApplies checks that only an apply patch may force.
func TestPatchForceOnlyApplies(t *testing.T) {
	st := stores(t, configMapsGVR)[0]
	ctx := context.Background()
	_, err := st.Create(ctx, "default", &corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm"}}, registry.CreateOptions{})
	require.NoError(t, err)
	_, err = st.Patch(ctx, "default", "cm", registry.PatchMerge, []byte(`{"data":{"k":"v"}}`), registry.PatchOptions{Force: true})
	require.True(t, apierrors.IsInvalid(err), "got %v", err)
	out, err := st.Patch(ctx, "default", "cm", registry.PatchApply, []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}`),
		registry.PatchOptions{FieldManager: "m", Force: true})
	require.NoError(t, err)
	require.Equal(t, "v", out.(*corev1.ConfigMap).GetData()["k"])
}

func noErr(err error) bool { return err == nil }

func isMethodNotAllowed(err error) bool {
	return apierrors.ReasonFor(err) == apierrors.ReasonMethodNotAllowed
}
