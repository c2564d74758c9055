package registry_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/registry"
	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// limitedConfigMaps returns the configmaps store of a registry with the given patch limits. Only
// its patchers are used: nothing reaches storage.
func limitedConfigMaps(t *testing.T, limits registry.PatchLimits) *registry.Store {
	t.Helper()
	sch := scheme.Builtin()
	reg, err := registry.New(registry.Config{Scheme: sch, Storage: storage.New(nil, storage.NewCodec(sch), storage.Options{}), Patch: limits})
	require.NoError(t, err)
	st, err := reg.Store(scheme.GroupVersionResource{Version: "v1", Resource: "configmaps"})
	require.NoError(t, err)
	return st
}

// amplifying returns a JSON patch that adds a value of size bytes and copies it copies times.
func amplifying(size, copies int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `[{"op":"add","path":"/data/big","value":%q}`, strings.Repeat("x", size))
	for i := range copies {
		fmt.Fprintf(&b, `,{"op":"copy","from":"/data/big","path":"/data/c%d"}`, i)
	}
	b.WriteString("]")
	return []byte(b.String())
}

func TestPatchLimits(t *testing.T) {
	doc := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}`)
	for _, tc := range []struct {
		name      string
		limits    registry.PatchLimits
		patchType string
		patch     []byte
		// atDecode: the patch is refused before it is applied; code 0: it applies.
		atDecode bool
		code     int32
		message  string
	}{
		{name: "copies within the bound", limits: registry.PatchLimits{}, patchType: registry.PatchJSON, patch: amplifying(100, 10)},
		{name: "copies past the default bound", patchType: registry.PatchJSON, patch: amplifying(100*1024, 5000),
			code: http.StatusUnprocessableEntity, message: "accumulated size increase of copy"},
		{name: "copies past a lowered bound", limits: registry.PatchLimits{MaxJSONPatchCopyBytes: 1000}, patchType: registry.PatchJSON,
			patch: amplifying(100, 11), code: http.StatusUnprocessableEntity, message: "exceeding the limit 1000"},
		{name: "operations at the bound", limits: registry.PatchLimits{MaxJSONPatchOperations: 11}, patchType: registry.PatchJSON,
			patch: amplifying(1, 10)},
		{name: "operations past the bound", limits: registry.PatchLimits{MaxJSONPatchOperations: 10}, patchType: registry.PatchJSON,
			patch: amplifying(1, 10), atDecode: true, code: http.StatusRequestEntityTooLarge, message: "maximum operations in a JSON patch is 10, got 11"},
		{name: "operations past the default bound", patchType: registry.PatchJSON,
			patch: amplifying(1, 10000), atDecode: true, code: http.StatusRequestEntityTooLarge, message: "is 10000, got 10001"},
		{name: "JSON patch result too large", limits: registry.PatchLimits{MaxPatchedBytes: 500}, patchType: registry.PatchJSON,
			patch: amplifying(600, 0), code: http.StatusRequestEntityTooLarge, message: "the patched ConfigMap is"},
		{name: "merge patch result too large", limits: registry.PatchLimits{MaxPatchedBytes: 500}, patchType: registry.PatchMerge,
			patch: []byte(`{"data":{"big":"` + strings.Repeat("x", 600) + `"}}`), code: http.StatusRequestEntityTooLarge, message: "the limit is 500 bytes"},
		{name: "merge patch within the bound", limits: registry.PatchLimits{MaxPatchedBytes: 500}, patchType: registry.PatchMerge,
			patch: []byte(`{"data":{"small":"x"}}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := limitedConfigMaps(t, tc.limits)
			apply, err := st.Patcher(tc.patchType, tc.patch)
			if tc.atDecode {
				require.Equal(t, tc.code, apierrors.CodeFor(err), "got %v", err)
				require.Contains(t, err.Error(), tc.message)
				return
			}
			require.NoError(t, err)
			_, err = apply(doc)
			if tc.code == 0 {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tc.code, apierrors.CodeFor(err), "got %v", err)
			require.Contains(t, err.Error(), tc.message)
		})
	}
}
