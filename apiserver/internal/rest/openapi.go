package rest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/scheme"
	"github.com/keelson-dev/keelson/pkg/version"
)

// openAPI serves /openapi/v3: an index with one document per group version, each listing every
// path and operation with its x-kubernetes-group-version-kind and the query parameters this edge
// honours (fieldValidation, dryRun, fieldManager). Kubectl reads it to learn that the server
// validates fields itself. The documents carry no schemas: kubectl then falls back to its compiled-in
// types for strategic merge patches and leaves validation to the server.
type openAPI struct {
	index []byte
	docs  map[string][]byte // "api/v1", "apis/apps/v1", ...
}

func newOpenAPI(s *scheme.Scheme) (*openAPI, error) {
	o := &openAPI{docs: map[string][]byte{}}
	byGV := map[string][]*scheme.Kind{}
	for _, k := range s.Kinds() {
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

func openAPIDoc(kinds []*scheme.Kind) map[string]any {
	paths := map[string]any{}
	params := []any{
		queryParam("dryRun"), queryParam("fieldManager"), queryParam("fieldValidation"),
	}
	for _, k := range kinds {
		gvk := map[string]string{"group": k.Group, "version": k.Version, "kind": k.Kind}
		op := func(id string, withParams bool) map[string]any {
			m := map[string]any{
				"operationId":                     id + k.Kind,
				"x-kubernetes-group-version-kind": gvk,
				"responses":                       map[string]any{"200": map[string]any{"description": "OK"}},
			}
			if withParams {
				m["parameters"] = params
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
		paths[coll] = map[string]any{"get": op("list", false), "post": op("create", true)}
		paths[coll+"/{name}"] = map[string]any{
			"get": op("read", false), "put": op("replace", true), "patch": op("patch", true), "delete": op("delete", false),
		}
		if k.HasSubresource("status") {
			paths[coll+"/{name}/status"] = map[string]any{"get": op("read", false), "put": op("replace", true), "patch": op("patch", true)}
		}
	}
	return map[string]any{
		"openapi":    "3.0.0",
		"info":       map[string]string{"title": "Kubernetes", "version": version.Get().GitVersion},
		"paths":      paths,
		"components": map[string]any{"schemas": map[string]any{}},
	}
}

func queryParam(name string) map[string]any {
	return map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string", "uniqueItems": true}}
}

// ServeHTTP answers GET /openapi/v3 and /openapi/v3/<group version>; /openapi/v2 is not served.
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
