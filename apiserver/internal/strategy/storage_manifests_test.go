package strategy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestStorageManifestsAreAccepted decodes manifests that use Kubernetes' storage volume sources
// (cloud disks, network file systems, CSI, ephemeral and image volumes, stateful sets' claim
// templates) strictly and requires the kind's defaulting and validation to accept them. The
// kubejson package checks that the same manifests round-trip as Kubernetes' Go types do.
func TestStorageManifestsAreAccepted(t *testing.T) {
	sch := scheme.Builtin()
	strategies := NewSet()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "pkg", "kubejson", "testdata", "manifests", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			y, err := os.ReadFile(f)
			require.NoError(t, err)
			k, obj, _, err := kubejson.DecodeManifest(sch, y)
			require.NoError(t, err)
			s := strategies.ForKind(k)
			require.NotNil(t, s)
			s.Default(obj)
			require.Empty(t, s.Validate(obj))
		})
	}
}
