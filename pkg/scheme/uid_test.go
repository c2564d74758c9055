package scheme_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestCreateUID checks that the uid derived from a proposal is a UUID, the same for the same
// object and proposal (so a retrying client recognises its object), never the proposal itself,
// and different when any part of the object's identity or the proposal differs.
func TestCreateUID(t *testing.T) {
	sch := scheme.Builtin()
	pods, _ := sch.ByKind(scheme.GroupVersionKind{Version: "v1", Kind: "Pod"})
	cms, _ := sch.ByKind(scheme.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
	const proposal = "3f1c1a2e-8d0e-4d39-9d0e-6a1b2c3d4e5f"
	uid := scheme.CreateUID(pods, "default", "web", proposal)
	_, err := uuid.Parse(uid)
	require.NoError(t, err)
	require.NotEqual(t, proposal, uid)
	require.Equal(t, uid, scheme.CreateUID(pods, "default", "web", proposal))
	seen := map[string]string{uid: "base"}
	for name, other := range map[string]string{
		"kind":      scheme.CreateUID(cms, "default", "web", proposal),
		"namespace": scheme.CreateUID(pods, "other", "web", proposal),
		"name":      scheme.CreateUID(pods, "default", "web2", proposal),
		"proposal":  scheme.CreateUID(pods, "default", "web", uuid.NewString()),
		"joined":    scheme.CreateUID(pods, "defaultweb", "", proposal),
	} {
		require.NotContains(t, seen, other, "%s gives the uid of %s", name, seen[other])
		seen[other] = name
	}
}
