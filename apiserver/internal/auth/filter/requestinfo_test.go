package filter

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
)

func TestRESTAttributes(t *testing.T) {
	res := func(verb, group, version, resource, sub, ns, name string) authz.Attributes {
		return authz.Attributes{Verb: verb, ResourceRequest: true, APIGroup: group, APIVersion: version, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	nonRes := func(verb, path string) authz.Attributes { return authz.Attributes{Verb: verb, Path: path} }
	tests := []struct {
		method, url string
		want        authz.Attributes
	}{
		{"GET", "/api/v1/namespaces/default/pods", res("list", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?watch=true", res("watch", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?watch=1", res("watch", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?watch=false", res("list", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?watch=", res("watch", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/watch/namespaces/default/pods", res("watch", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/watch/namespaces/default/pods/web", res("watch", "", "v1", "pods", "", "default", "web")},
		{"GET", "/api/v1/namespaces/default/pods/web", res("get", "", "v1", "pods", "", "default", "web")},
		{"HEAD", "/api/v1/namespaces/default/pods/web", res("get", "", "v1", "pods", "", "default", "web")},
		{"GET", "/api/v1/namespaces/default/pods/web/log", res("get", "", "v1", "pods", "log", "default", "web")},
		{"POST", "/api/v1/namespaces/default/pods", res("create", "", "v1", "pods", "", "default", "")},
		{"POST", "/api/v1/namespaces/default/pods/web/binding", res("create", "", "v1", "pods", "binding", "default", "web")},
		{"POST", "/api/v1/namespaces/default/pods/web/eviction", res("create", "", "v1", "pods", "eviction", "default", "web")},
		{"PUT", "/api/v1/namespaces/default/pods/web", res("update", "", "v1", "pods", "", "default", "web")},
		{"PUT", "/api/v1/namespaces/default/pods/web/status", res("update", "", "v1", "pods", "status", "default", "web")},
		{"PATCH", "/apis/apps/v1/namespaces/team/deployments/web/scale", res("patch", "apps", "v1", "deployments", "scale", "team", "web")},
		{"DELETE", "/api/v1/namespaces/default/pods/web", res("delete", "", "v1", "pods", "", "default", "web")},
		{"DELETE", "/api/v1/namespaces/default/pods", res("deletecollection", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/pods", res("list", "", "v1", "pods", "", "", "")},
		{"GET", "/api/v1/nodes/n1", res("get", "", "v1", "nodes", "", "", "n1")},
		{"PUT", "/api/v1/nodes/n1/status", res("update", "", "v1", "nodes", "status", "", "n1")},
		{"GET", "/api/v1/namespaces", res("list", "", "v1", "namespaces", "", "", "")},
		{"GET", "/api/v1/namespaces/team", res("get", "", "v1", "namespaces", "", "team", "team")},
		{"PUT", "/api/v1/namespaces/team/status", res("update", "", "v1", "namespaces", "status", "team", "team")},
		{"PUT", "/api/v1/namespaces/team/finalize", res("update", "", "v1", "namespaces", "finalize", "team", "team")},
		{"GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", res("get", "coordination.k8s.io", "v1", "leases", "", "kube-node-lease", "n1")},
		{"GET", "/apis/apps/v1/deployments", res("list", "apps", "v1", "deployments", "", "", "")},
		{"GET", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dweb", res("list", "", "v1", "pods", "", "default", "web")},
		{"GET", "/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3D%3Dweb", res("watch", "", "v1", "pods", "", "default", "web")},
		{"GET", "/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1", res("list", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%21%3Dweb", res("list", "", "v1", "pods", "", "default", "")},
		{"GET", "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D..", res("list", "", "v1", "pods", "", "default", "")},
		{"OPTIONS", "/api/v1/namespaces/default/pods", res("", "", "v1", "pods", "", "default", "")},
		{"GET", "/api", nonRes("get", "/api")},
		{"GET", "/api/v1", nonRes("get", "/api/v1")},
		{"GET", "/apis", nonRes("get", "/apis")},
		{"GET", "/apis/apps", nonRes("get", "/apis/apps")},
		{"GET", "/apis/apps/v1", nonRes("get", "/apis/apps/v1")},
		{"GET", "/healthz", nonRes("get", "/healthz")},
		{"GET", "/readyz/etcd", nonRes("get", "/readyz/etcd")},
		{"POST", "/version", nonRes("post", "/version")},
		{"GET", "/openapi/v2", nonRes("get", "/openapi/v2")},
		{"GET", "/", nonRes("get", "/")},
		{"GET", "/metrics", nonRes("get", "/metrics")},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.url, func(t *testing.T) {
			want := tt.want
			if want.ResourceRequest {
				want.Path = httptest.NewRequest(tt.method, tt.url, nil).URL.Path
			}
			require.Equal(t, want, RESTAttributes(httptest.NewRequest(tt.method, tt.url, nil)))
		})
	}
}
