package kubejson

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestUnchangedObjectDecodesEqual checks that an object encoded as Kubernetes writes it, with {}
// for unset struct fields, decodes to the same message, while {} of a pointer field stays set.
func TestUnchangedObjectDecodesEqual(t *testing.T) {
	k, _ := scheme.Builtin().ByKind(scheme.GroupVersionKind{Version: "v1", Kind: "Pod"})
	in := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":null},
		"spec":{"containers":[{"name":"c","image":"i","resources":{}}],"volumes":[{"name":"v","emptyDir":{}}]},"status":{}}`)
	obj, err := FromJSON(k, in, DecodeOptions{Strict: true})
	require.NoError(t, err)
	m, err := ToMap(k, obj)
	require.NoError(t, err)
	require.Equal(t, map[string]any{}, m["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["resources"],
		"Kubernetes writes unset resources as {}")
	again, err := FromJSON(k, mustJSON(t, m), DecodeOptions{Strict: true})
	require.NoError(t, err)
	require.True(t, proto.Equal(obj, again), "a round trip through Kubernetes JSON changed the object:\n%v\n%v", obj, again)
	vol := m["spec"].(map[string]any)["volumes"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{}, vol["emptyDir"], "an emptyDir volume keeps its source")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
