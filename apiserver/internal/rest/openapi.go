package rest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"

	k8smetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/kubejson"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/version"
)

// openAPI serves /openapi/v3: an index with one document per group version. Each document lists
// every path and operation with its x-kubernetes-group-version-kind and the query parameters this
// edge honours (fieldValidation, dryRun, fieldManager), and carries the schemas of the group
// version's kinds, their lists and every type they reach, derived from Kubernetes' Go types. Kubectl
// reads the parameters to learn that the server validates fields itself, and the schemas for
// `kubectl explain` and the merge keys of strategic merge patches. The documents are built once, by
// newOpenAPI, and never change.
type openAPI struct {
	index []byte
	docs  map[string][]byte // "api/v1", "apis/apps/v1", ...
}

func newOpenAPI(s *scheme.Scheme) (*openAPI, error) {
	o := &openAPI{docs: map[string][]byte{}}
	byGV := map[string][]*scheme.Kind{}
	for _, k := range append(s.Kinds(), s.CreateOnly()...) {
		gv := "api/" + k.Version
		if k.Group != "" {
			gv = "apis/" + k.Group + "/" + k.Version
		}
		byGV[gv] = append(byGV[gv], k)
	}
	index := map[string]map[string]map[string]string{"paths": {}}
	for gv, kinds := range byGV {
		doc, err := json.Marshal(openAPIDoc(kinds))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(doc)
		hash := strings.ToUpper(hex.EncodeToString(sum[:]))
		o.docs[gv] = doc
		index["paths"][gv] = map[string]string{"serverRelativeURL": "/openapi/v3/" + gv + "?hash=" + hash}
	}
	b, err := json.Marshal(index)
	if err != nil {
		return nil, err
	}
	o.index = b
	return o, nil
}

// openAPIDoc returns the document of one group version's kinds.
func openAPIDoc(kinds []*scheme.Kind) map[string]any {
	schemas := schemaSet{}
	// Kubectl computes a strategic merge patch from the kind's schema only when the patch
	// operation lists that media type.
	patch := schemaMedia(schemas.define(reflect.TypeFor[k8smetav1.Patch]()))
	patchBody := map[string]any{}
	for _, t := range []string{
		"application/apply-patch+yaml", "application/json-patch+json",
		"application/merge-patch+json", "application/strategic-merge-patch+json",
	} {
		patchBody[t] = patch
	}
	statusSchema := schemas.define(reflect.TypeFor[k8smetav1.Status]())
	paths := map[string]any{}
	params := []any{
		queryParam("dryRun"), queryParam("fieldManager"), queryParam("fieldValidation"),
	}
	for _, k := range kinds {
		kindSchema, listSchema := schemas.defineKind(k)
		objBody := map[string]any{"*/*": schemaMedia(kindSchema)}
		gvk := map[string]string{"group": k.Group, "version": k.Version, "kind": k.Kind}
		op := func(id string, withParams bool, body map[string]any, resp string) map[string]any {
			ok := map[string]any{"description": "OK"}
			if resp != "" {
				ok["content"] = mediaTypes(resp)
			}
			m := map[string]any{
				"operationId":                     id + k.Kind,
				"x-kubernetes-group-version-kind": gvk,
				"responses":                       map[string]any{"200": ok},
			}
			if withParams {
				m["parameters"] = params
			}
			if body != nil {
				m["requestBody"] = map[string]any{"content": body, "required": true}
			}
			return m
		}
		base := "/api/" + k.Version
		if k.Group != "" {
			base = "/apis/" + k.Group + "/" + k.Version
		}
		if k.Namespaced {
			base += "/namespaces/{namespace}"
		}
		coll := base + "/" + k.Resource
		if k.CreateOnly {
			paths[coll] = map[string]any{"post": op("create", true, objBody, kindSchema)}
			continue
		}
		paths[coll] = map[string]any{
			"get":  op("list", false, nil, listSchema),
			"post": op("create", true, objBody, kindSchema),
		}
		paths[coll+"/{name}"] = map[string]any{
			"get":    op("read", false, nil, kindSchema),
			"put":    op("replace", true, objBody, kindSchema),
			"patch":  op("patch", true, patchBody, kindSchema),
			"delete": op("delete", false, nil, statusSchema),
		}
		if k.HasSubresource("status") {
			paths[coll+"/{name}/status"] = map[string]any{
				"get":   op("read", false, nil, kindSchema),
				"put":   op("replace", true, objBody, kindSchema),
				"patch": op("patch", true, patchBody, kindSchema),
			}
		}
	}
	return map[string]any{
		"openapi":    "3.0.0",
		"info":       map[string]string{"title": "Kubernetes", "version": version.Get().GitVersion},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
}

func queryParam(name string) map[string]any {
	return map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string", "uniqueItems": true}}
}

// schemaMedia is an OpenAPI media type object whose schema is the named one; the empty name stands
// for a body whose shape the document does not describe.
func schemaMedia(name string) map[string]any {
	if name == "" {
		return map[string]any{}
	}
	return map[string]any{"schema": map[string]any{"$ref": schemaRefPrefix + name}}
}

// mediaTypes are the response media types this edge serves, each with the named schema.
func mediaTypes(name string) map[string]any {
	m := map[string]any{}
	for _, t := range []string{"application/json", "application/yaml", protobufMediaType} {
		m[t] = schemaMedia(name)
	}
	return m
}

// schemaRefPrefix is where a reference points into a document's components.schemas.
const schemaRefPrefix = "#/components/schemas/"

// schemaSet holds OpenAPI schemas by Kubernetes' name of the Go type they describe. It is filled
// by reflection over Kubernetes' Go types, which carry json tags and the strategic merge patch
// tags but not the comments that Kubernetes turns into descriptions, so no schema has one.
type schemaSet map[string]map[string]any

// The interfaces Kubernetes' types with a custom JSON form (Time, Quantity, IntOrString, ...)
// implement to tell Kubernetes' OpenAPI generator that form.
type (
	openAPISchemaTyper     interface{ OpenAPISchemaType() []string }
	openAPISchemaFormatter interface{ OpenAPISchemaFormat() string }
	openAPIV3OneOfTyper    interface{ OpenAPIV3OneOfTypes() []string }
)

var jsonMarshalerType = reflect.TypeFor[json.Marshaler]()

// defineKind adds the schemas of kind k and of its list, each tagged with its group, version and
// kind, and returns their names. It returns empty names when Kubernetes has no Go type for k.
func (s schemaSet) defineKind(k *scheme.Kind) (kind, list string) {
	obj, ok := kubejson.NewTyped(k)
	if !ok {
		return "", ""
	}
	gvk := schema.GroupVersionKind{Group: k.Group, Version: k.Version, Kind: k.Kind}
	kind = s.defineGVK(obj, gvk)
	gvk.Kind += "List"
	if l, err := kubejson.Scheme().New(gvk); err == nil {
		list = s.defineGVK(l, gvk)
	}
	return kind, list
}

// defineGVK adds the schema of obj's type tagged with gvk, as Kubernetes tags its kinds' schemas.
func (s schemaSet) defineGVK(obj runtime.Object, gvk schema.GroupVersionKind) string {
	name := s.define(derefType(reflect.TypeOf(obj)))
	s[name]["x-kubernetes-group-version-kind"] = []any{
		map[string]string{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind},
	}
	return name
}

// define adds the schema of the named struct type t, and of every named type it reaches, and
// returns its name.
func (s schemaSet) define(t reflect.Type) string {
	name := schemaName(t)
	if _, ok := s[name]; ok {
		return name
	}
	sch := map[string]any{}
	s[name] = sch // before the fields, so that a recursive type ends here
	v := reflect.New(t).Interface()
	switch typer, ok := v.(openAPISchemaTyper); {
	case ok:
		// Kubernetes' v3 documents prefer the one-of types (Quantity: string or number;
		// IntOrString: integer or string) to the single v2 type.
		if oneOf, ok := v.(openAPIV3OneOfTyper); ok {
			var alts []any
			for _, typ := range oneOf.OpenAPIV3OneOfTypes() {
				alts = append(alts, map[string]any{"type": typ})
			}
			sch["oneOf"] = alts
		} else if types := typer.OpenAPISchemaType(); len(types) == 1 {
			sch["type"] = types[0]
		}
		if f, ok := v.(openAPISchemaFormatter); ok && f.OpenAPISchemaFormat() != "" {
			sch["format"] = f.OpenAPISchemaFormat()
		}
	case reflect.PointerTo(t).Implements(jsonMarshalerType):
		// Free-form JSON with no declared schema: RawExtension, FieldsV1.
		sch["type"] = "object"
	default:
		props := map[string]any{}
		s.addFields(t, props)
		sch["type"] = "object"
		if len(props) > 0 {
			sch["properties"] = props
		}
	}
	return name
}

// addFields adds to props the schema of each field struct t encodes in JSON, under its JSON name,
// with the fields of inlined (embedded) structs merged in.
func (s schemaSet) addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if ft := derefType(f.Type); f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			s.addFields(ft, props)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := s.use(f.Type)
		if v := f.Tag.Get("patchStrategy"); v != "" {
			p["x-kubernetes-patch-strategy"] = v
		}
		if v := f.Tag.Get("patchMergeKey"); v != "" {
			p["x-kubernetes-patch-merge-key"] = v
		}
		props[name] = p
	}
}

// use returns a new schema for a field, item or map value of type t, adding the named schemas it
// refers to. A struct is referred to as Kubernetes' v3 documents do, by an allOf of one $ref, which
// leaves room for the field's own extensions next to it.
func (s schemaSet) use(t reflect.Type) map[string]any {
	t = derefType(t)
	switch t.Kind() {
	case reflect.Struct:
		return map[string]any{"allOf": []any{map[string]any{"$ref": schemaRefPrefix + s.define(t)}}}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32:
		return map[string]any{"type": "number", "format": "float"}
	case reflect.Float64:
		return map[string]any{"type": "number", "format": "double"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"} // encoding/json's base64
		}
		return map[string]any{"type": "array", "items": s.use(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.use(t.Elem())}
	default:
		return map[string]any{} // an interface: any JSON value
	}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// schemaName returns Kubernetes' OpenAPI name of named type t: its package path with the domain
// reversed, in dots, then the type name ("k8s.io/api/core/v1".Pod is "io.k8s.api.core.v1.Pod").
func schemaName(t reflect.Type) string {
	domain, rest, _ := strings.Cut(t.PkgPath(), "/")
	parts := strings.Split(domain, ".")
	slices.Reverse(parts)
	if rest != "" {
		parts = append(parts, strings.Split(rest, "/")...)
	}
	return strings.Join(append(parts, t.Name()), ".")
}

// ServeHTTP answers GET /openapi/v3 and /openapi/v3/<group version> (openAPIV2 serves /openapi/v2).
func (o *openAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported("", r.URL.Path, strings.ToLower(r.Method)))
		return
	}
	var body []byte
	switch p := strings.Trim(r.URL.Path, "/"); {
	case p == "openapi/v3":
		body = o.index
	case strings.HasPrefix(p, "openapi/v3/"):
		body = o.docs[strings.TrimPrefix(p, "openapi/v3/")]
	}
	if body == nil {
		writeError(w, notFoundPath())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
