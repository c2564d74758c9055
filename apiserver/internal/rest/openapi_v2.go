package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/version"
)

// openAPIV2ProtobufType is the media type kubectl asks /openapi/v2 for.
const openAPIV2ProtobufType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

// openAPIV2 serves /openapi/v2: one Swagger 2.0 document with the definitions of every kind, its
// list and every type they reach, the same schemas /openapi/v3 carries. Kubectl reads it to
// validate the items of a List (kind: List has no path of its own, so kubectl checks its items on
// the client against these definitions) and as the older source of patch merge keys. The
// document lists no paths: the operations and their parameters are read from /openapi/v3. Built
// once by newOpenAPIV2, it never changes.
type openAPIV2 struct {
	json, protobuf []byte
}

func newOpenAPIV2(s *scheme.Scheme) (*openAPIV2, error) {
	schemas := schemaSet{}
	for _, k := range append(s.Kinds(), s.CreateOnly()...) {
		schemas.defineKind(k)
	}
	defs := make(map[string]any, len(schemas))
	for name, sch := range schemas {
		defs[name] = schemaV2(sch)
	}
	b, err := json.Marshal(map[string]any{
		"swagger":     "2.0",
		"info":        map[string]string{"title": "Kubernetes", "version": version.Get().GitVersion},
		"paths":       map[string]any{},
		"definitions": defs,
	})
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI v2 document: %w", err)
	}
	doc, err := openapi_v2.ParseDocument(b)
	if err != nil {
		return nil, fmt.Errorf("parse the OpenAPI v2 document: %w", err)
	}
	pb, err := proto.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode the OpenAPI v2 document as protobuf: %w", err)
	}
	return &openAPIV2{json: b, protobuf: pb}, nil
}

// schemaV2 returns the Swagger 2.0 form of a schema of a schemaSet: references point into
// definitions, a field's allOf of one reference is the reference itself (Swagger 2.0 keeps
// extensions beside a $ref), and a one-of of types (Quantity, IntOrString) is the string with a
// format, as Kubernetes' v2 document writes them.
func schemaV2(sch map[string]any) map[string]any {
	out := make(map[string]any, len(sch))
	for k, v := range sch {
		switch k {
		case "$ref":
			out[k] = "#/definitions/" + strings.TrimPrefix(v.(string), schemaRefPrefix)
		case "allOf":
			if all, ok := v.([]any); ok && len(all) == 1 {
				for rk, rv := range schemaV2(all[0].(map[string]any)) {
					out[rk] = rv
				}
				continue
			}
			out[k] = v
		case "oneOf":
			out["type"] = "string"
		case "properties", "additionalProperties", "items":
			out[k] = nestedV2(k, v)
		default:
			out[k] = v
		}
	}
	return out
}

// nestedV2 converts the schemas a properties, additionalProperties or items keyword holds.
func nestedV2(keyword string, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if keyword != "properties" {
		return schemaV2(m)
	}
	props := make(map[string]any, len(m))
	for name, p := range m {
		if pm, ok := p.(map[string]any); ok {
			props[name] = schemaV2(pm)
		}
	}
	return props
}

// ServeHTTP answers GET /openapi/v2, as protobuf when asked for it and as JSON otherwise.
func (o *openAPIV2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, apierrors.NewMethodNotSupported("", r.URL.Path, strings.ToLower(r.Method)))
		return
	}
	if strings.Contains(r.Header.Get("Accept"), openAPIV2ProtobufType) {
		// As Kubernetes answers: the media type asked for has an "@", which is no valid media
		// type for the client to parse back.
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(o.protobuf)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(o.json)
}
