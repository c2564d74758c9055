package registry

import (
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// TestCheckJSONPatch refuses a test operation without a value, which decoding lets through and
// applying to the whole document would panic on.
func TestCheckJSONPatch(t *testing.T) {
	tests := []struct {
		patch, wantErr string
	}{
		{`[{"op":"add","path":"/a","value":1},{"op":"remove","path":"/b"},{"op":"copy","from":"/a","path":"/c"}]`, ""},
		{`[{"op":"test","path":"","value":null}]`, ""},
		{`[{"op":"test","path":""}]`, `operation 0 (test) has no "value"`},
		{`[{"op":"remove","path":"/a"},{"op":"test","path":"/b"}]`, `operation 1 (test) has no "value"`},
	}
	for _, tt := range tests {
		t.Run(tt.patch, func(t *testing.T) {
			p, err := jsonpatch.DecodePatch([]byte(tt.patch))
			require.NoError(t, err)
			err = checkJSONPatch(p)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.True(t, apierrors.IsBadRequest(err), "%v", err)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
