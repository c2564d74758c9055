package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	openapiproto "k8s.io/kube-openapi/pkg/util/proto"
	"k8s.io/kube-openapi/pkg/util/proto/validation"
	"sigs.k8s.io/yaml"

	"github.com/keelson-dev/keelson/pkg/scheme"
)

// TestOpenAPIV2ValidatesAsKubectlDoes serves /openapi/v2 as kubectl fetches it (protobuf), reads
// it with the OpenAPI model kubectl validates a List's items with, and checks manifests against
// it: numbers as quantities and int-or-strings pass, an unknown or mistyped field does not.
func TestOpenAPIV2ValidatesAsKubectlDoes(t *testing.T) {
	oa, err := newOpenAPIV2(scheme.Builtin())
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/openapi/v2", nil)
	req.Header.Set("Accept", openAPIV2ProtobufType)
	rec := httptest.NewRecorder()
	oa.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/octet-stream", rec.Header().Get("Content-Type"))
	doc := &openapi_v2.Document{}
	require.NoError(t, proto.Unmarshal(rec.Body.Bytes(), doc))
	models, err := openapiproto.NewOpenAPIData(doc)
	require.NoError(t, err)

	cases := []struct {
		name, model, manifest string
		ok                    bool
	}{
		{"deployment with numbers", "io.k8s.api.apps.v1.Deployment", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - name: c
        image: nginx
        resources: {limits: {cpu: 1, memory: 1024}, requests: {cpu: 0.5}}
        livenessProbe: {httpGet: {port: http}}
`, true},
		{"pod with a source-less volume", "io.k8s.api.core.v1.Pod", `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: busybox}]
  volumes: [{name: scratch}]
`, true},
		{"unknown field", "io.k8s.api.core.v1.ConfigMap", `
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
dataa: {k: v}
`, false},
		{"string for a count", "io.k8s.api.apps.v1.ReplicaSet", `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: r}
spec: {replicas: many}
`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := models.LookupModel(tc.model)
			require.NotNil(t, model, tc.model)
			var obj map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(tc.manifest), &obj))
			errs := validation.ValidateModel(obj, model, tc.model)
			if tc.ok {
				require.Empty(t, errs)
			} else {
				require.NotEmpty(t, errs)
			}
		})
	}

	// Without the protobuf media type the same document comes as JSON.
	rec = httptest.NewRecorder()
	oa.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi/v2", nil))
	var j struct {
		Swagger     string         `json:"swagger"`
		Definitions map[string]any `json:"definitions"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &j))
	require.Equal(t, "2.0", j.Swagger)
	require.Contains(t, j.Definitions, "io.k8s.api.core.v1.PodList")
}
