package rest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/strategy"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestStorageManifestsAreAccepted decodes manifests that use Kubernetes' storage volume sources
// (cloud disks, network file systems, CSI, ephemeral and image volumes, stateful sets' claim
// templates) strictly, requires them to round-trip as Kubernetes' Go types do, and requires the
// kind's defaulting and validation to accept them.
func TestStorageManifestsAreAccepted(t *testing.T) {
	sch := scheme.Builtin()
	strategies := strategy.NewSet()
	files, err := filepath.Glob(filepath.Join("testdata", "manifests", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			k, obj := requireRoundTripAsKubernetesTypesDo(t, sch, f)
			s := strategies.ForKind(k)
			require.NotNil(t, s)
			s.Default(obj)
			require.Empty(t, s.Validate(obj))
		})
	}
}
