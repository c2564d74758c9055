package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

const (
	meta     = "io.k8s.apimachinery.pkg.apis.meta.v1."
	core     = "io.k8s.api.core.v1."
	quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"
	intOrStr = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
)

// servedDoc returns the /openapi/v3 document of group version gv ("api/v1"), as kubectl reads it.
func servedDoc(t *testing.T, gv string) map[string]any {
	t.Helper()
	o, err := newOpenAPI(scheme.Builtin())
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	o.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/v3/"+gv, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	return doc
}

// docSchemas returns a document's components.schemas.
func docSchemas(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	schemas, ok := doc["components"].(map[string]any)["schemas"].(map[string]any)
	require.True(t, ok, "the document has no components.schemas")
	return schemas
}

// property returns the schema of field of the named schema, as JSON.
func property(t *testing.T, schemas map[string]any, name, field string) string {
	t.Helper()
	s, ok := schemas[name].(map[string]any)
	require.True(t, ok, "no schema %s", name)
	p, ok := s["properties"].(map[string]any)[field]
	require.True(t, ok, "schema %s has no property %s", name, field)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return string(b)
}

func ref(name string) string {
	return `{"allOf":[{"$ref":"#/components/schemas/` + name + `"}]}`
}

func TestOpenAPIPodSchemaCarriesTypesAndMergeKeys(t *testing.T) {
	schemas := docSchemas(t, servedDoc(t, "api/v1"))
	for _, tc := range []struct {
		schema, field, want string
	}{
		{core + "Pod", "apiVersion", `{"type":"string"}`}, // from the inlined TypeMeta
		{core + "Pod", "metadata", ref(meta + "ObjectMeta")},
		{core + "Pod", "spec", ref(core + "PodSpec")},
		{core + "PodSpec", "containers", `{"items":` + ref(core+"Container") +
			`,"type":"array","x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge"}`},
		{core + "Container", "ports", `{"items":` + ref(core+"ContainerPort") +
			`,"type":"array","x-kubernetes-patch-merge-key":"containerPort","x-kubernetes-patch-strategy":"merge"}`},
		{core + "ContainerPort", "containerPort", `{"format":"int32","type":"integer"}`},
		{core + "PodSpec", "activeDeadlineSeconds", `{"format":"int64","type":"integer"}`},
		{core + "PodSpec", "hostNetwork", `{"type":"boolean"}`},
		{core + "PodSpec", "nodeSelector", `{"additionalProperties":{"type":"string"},"type":"object"}`},
		{core + "ResourceRequirements", "limits", `{"additionalProperties":` + ref(quantity) + `,"type":"object"}`},
		{core + "HTTPGetAction", "port", ref(intOrStr)},
		{core + "Secret", "data", `{"additionalProperties":{"format":"byte","type":"string"},"type":"object"}`},
		{meta + "ObjectMeta", "creationTimestamp", ref(meta + "Time")},
		{meta + "ObjectMeta", "finalizers", `{"items":{"type":"string"},"type":"array","x-kubernetes-patch-strategy":"merge"}`},
	} {
		t.Run(tc.schema+"."+tc.field, func(t *testing.T) {
			require.JSONEq(t, tc.want, property(t, schemas, tc.schema, tc.field))
		})
	}
}

// The types with their own JSON form are published as Kubernetes' v3 documents publish them.
func TestOpenAPISpecialTypesMatchKubernetes(t *testing.T) {
	schemas := docSchemas(t, servedDoc(t, "api/v1"))
	for name, want := range map[string]string{
		quantity:           `{"oneOf":[{"type":"string"},{"type":"number"}]}`,
		intOrStr:           `{"format":"int-or-string","oneOf":[{"type":"integer"},{"type":"string"}]}`,
		meta + "Time":      `{"format":"date-time","type":"string"}`,
		meta + "MicroTime": `{"format":"date-time","type":"string"}`,
		meta + "FieldsV1":  `{"type":"object"}`,
		meta + "Patch":     `{"type":"object"}`,
	} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, schemas, name)
			b, err := json.Marshal(schemas[name])
			require.NoError(t, err)
			require.JSONEq(t, want, string(b))
		})
	}

	// No served kind embeds a RawExtension; it is free-form JSON, like FieldsV1.
	s := schemaSet{}
	name := s.define(reflect.TypeFor[runtime.RawExtension]())
	require.Equal(t, "io.k8s.apimachinery.pkg.runtime.RawExtension", name)
	require.Equal(t, map[string]any{"type": "object"}, s[name])
}

func TestOpenAPIEveryKindHasItsGroupVersionKind(t *testing.T) {
	docs := map[string]map[string]any{}
	for _, k := range scheme.Builtin().Kinds() {
		gv := "api/" + k.Version
		if k.Group != "" {
			gv = "apis/" + k.Group + "/" + k.Version
		}
		if docs[gv] == nil {
			docs[gv] = servedDoc(t, gv)
		}
		doc := docs[gv]
		t.Run(k.Kind, func(t *testing.T) {
			obj, ok := kubejson.NewTyped(k)
			require.True(t, ok)
			name := schemaName(reflect.TypeOf(obj).Elem())
			for kind, schema := range map[string]string{k.Kind: name, k.Kind + "List": name + "List"} {
				s, ok := docSchemas(t, doc)[schema].(map[string]any)
				require.True(t, ok, "no schema %s", schema)
				b, err := json.Marshal(s["x-kubernetes-group-version-kind"])
				require.NoError(t, err)
				require.JSONEq(t, `[{"group":"`+k.Group+`","version":"`+k.Version+`","kind":"`+kind+`"}]`, string(b))
			}

			// The operations refer to the kind's schema; kubectl computes strategic merge patches
			// from it only when the patch operation accepts that media type.
			paths := doc["paths"].(map[string]any)
			coll := ""
			for p := range paths {
				if strings.HasSuffix(p, "/"+k.Resource) {
					coll = p
				}
			}
			require.NotEmpty(t, coll, "no collection path for %s", k.Resource)
			item := paths[coll+"/{name}"].(map[string]any)
			want := `{"$ref":"#/components/schemas/` + name + `"}`
			require.JSONEq(t, want, jsonAt(t, item, "put", "requestBody", "content", "*/*", "schema"))
			require.JSONEq(t, want, jsonAt(t, item, "get", "responses", "200", "content", "application/json", "schema"))
			require.JSONEq(t, `{"$ref":"#/components/schemas/`+name+`List"}`,
				jsonAt(t, paths[coll].(map[string]any), "get", "responses", "200", "content", "application/json", "schema"))
			require.JSONEq(t, `{"$ref":"#/components/schemas/`+meta+`Patch"}`,
				jsonAt(t, item, "patch", "requestBody", "content", "application/strategic-merge-patch+json", "schema"))
		})
	}
}

// jsonAt returns the JSON of the value at path in m.
func jsonAt(t *testing.T, m map[string]any, path ...string) string {
	t.Helper()
	var v any = m
	for _, p := range path {
		obj, ok := v.(map[string]any)
		require.True(t, ok, "no %s in %s", p, strings.Join(path, "."))
		v = obj[p]
	}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// tree is a recursive type with the json tag forms the reflection must honour.
type tree struct {
	k8smetav1.TypeMeta `json:",inline"`
	Name               string  `json:"name"`
	Ignored            string  `json:"-"`
	Untagged           float32 // encoding/json names it "Untagged"
	Weight             float64 `json:"weight,omitempty"`
	Children           []tree  `json:"children" patchStrategy:"merge" patchMergeKey:"name"`
	Parent             *tree   `json:"parent,omitempty"`
}

func TestSchemaSetFollowsJSONTagsAndEndsOnRecursion(t *testing.T) {
	s := schemaSet{}
	name := s.define(reflect.TypeFor[tree]())
	require.Equal(t, "com.github.keelson-dev.keelson.apiserver.internal.rest.tree", name)
	b, err := json.Marshal(s[name])
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"object","properties":{
		"apiVersion":{"type":"string"},
		"kind":{"type":"string"},
		"name":{"type":"string"},
		"Untagged":{"type":"number","format":"float"},
		"weight":{"type":"number","format":"double"},
		"children":{"type":"array","items":`+ref(name)+`,
			"x-kubernetes-patch-merge-key":"name","x-kubernetes-patch-strategy":"merge"},
		"parent":`+ref(name)+`}}`, string(b))
	require.Len(t, s, 1, "the inlined TypeMeta gets no schema of its own")
}
