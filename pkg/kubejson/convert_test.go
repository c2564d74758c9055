package kubejson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// examplesDir is deploy/examples, the compatibility corpus.
func examplesDir(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "examples")
}

// TestExamplesRoundTripAsKubernetesTypesDo decodes every manifest of the corpus with Keelson's
// converter and encodes it again, and requires the JSON to equal, field by field, what Kubernetes'
// own Go types produce from the same manifest: no field lost, none changed.
func TestExamplesRoundTripAsKubernetesTypesDo(t *testing.T) {
	sch := scheme.Builtin()
	files, err := filepath.Glob(filepath.Join(examplesDir(t), "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	// The storage manifests use Kubernetes' volume sources (cloud disks, network file systems,
	// CSI, ephemeral and image volumes, stateful sets' claim templates); the strategy package
	// checks that validation accepts them.
	storage, err := filepath.Glob(filepath.Join("testdata", "manifests", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, storage)
	files = append(files, storage...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { requireRoundTripAsKubernetesTypesDo(t, sch, f) })
	}
}

// requireRoundTripAsKubernetesTypesDo decodes a manifest strictly, encodes it again and requires the
// JSON to equal what Kubernetes' Go types make of the manifest. It returns the decoded object.
func requireRoundTripAsKubernetesTypesDo(t *testing.T, sch *scheme.Scheme, file string) (*scheme.Kind, scheme.Object) {
	t.Helper()
	k, obj, in := decodeExample(t, sch, file)
	m, err := ToMap(k, obj)
	require.NoError(t, err)
	got := normalize(t, m)

	typed, ok := NewTyped(k)
	require.True(t, ok)
	require.NoError(t, json.Unmarshal(in, typed))
	want := normalize(t, typed)
	require.Equal(t, want, got)
	return k, obj
}

// decodeExample reads a manifest of the corpus and decodes it strictly: every field must be known.
func decodeExample(t *testing.T, sch *scheme.Scheme, file string) (*scheme.Kind, scheme.Object, []byte) {
	t.Helper()
	y, err := os.ReadFile(file)
	require.NoError(t, err)
	k, obj, in, err := DecodeManifest(sch, y)
	require.NoError(t, err)
	return k, obj, in
}

// normalize encodes v and decodes it as generic JSON.
func normalize(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// TestDecodeRefusesUnknownFieldsOnlyWhenStrict checks fieldValidation's effect on decoding.
func TestDecodeRefusesUnknownFieldsOnlyWhenStrict(t *testing.T) {
	k, _ := scheme.Builtin().ByKind(scheme.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
	body := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","bogus":1},"data":{"k":"v"},"extra":true}`)
	_, err := FromJSON(k, body, DecodeOptions{Strict: true})
	require.EqualError(t, err, `strict decoding error: unknown field "extra", unknown field "metadata.bogus"`)
	var unknown []string
	obj, err := FromJSON(k, body, DecodeOptions{Unknown: &unknown})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"extra", "metadata.bogus"}, unknown)
	require.Equal(t, "a", obj.GetMetadata().GetName())

	for name, bad := range map[string]string{
		"not JSON":   `{`,
		"null":       `null`,
		"wrong kind": `{"kind":"Secret"}`,
		"wrong type": `{"data":{"k":1}}`,
	} {
		_, err := FromJSON(k, []byte(bad), DecodeOptions{})
		require.Error(t, err, name)
	}
}

// kindOf returns the kind of apiVersion and kind in sch, failing the test if it has none.
func kindOf(t *testing.T, sch *scheme.Scheme, apiVersion, kind string) *scheme.Kind {
	t.Helper()
	gvk := scheme.GroupVersionKind{Version: apiVersion}
	if g, v, ok := strings.Cut(apiVersion, "/"); ok {
		gvk.Group, gvk.Version = g, v
	}
	gvk.Kind = kind
	k, ok := sch.ByKind(gvk)
	require.True(t, ok, "unknown kind %s %s", apiVersion, kind)
	return k
}
