package filter

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/pkg/scheme"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

func pack(t *testing.T, obj scheme.Object) *anypb.Any {
	t.Helper()
	a, err := scheme.Pack(obj)
	require.NoError(t, err)
	return a
}

func TestGRPCAttributes(t *testing.T) {
	pods := &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}
	deployments := &resourcev1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	namespaces := &resourcev1.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	res := func(verb, group, resource, sub, ns, name string) authz.Attributes {
		return authz.Attributes{Verb: verb, ResourceRequest: true, APIGroup: group, APIVersion: "v1", Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	pod := pack(t, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "web", Namespace: "default"}})
	tests := []struct {
		name   string
		method string
		req    any
		want   authz.Attributes
	}{
		{"get", "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "default", Name: "web"}, res("get", "", "pods", "", "default", "web")},
		{"get log", "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "default", Name: "web", Subresource: "log"}, res("get", "", "pods", "log", "default", "web")},
		{"list", "List", &resourcev1.ListRequest{Resource: pods, Namespace: "default"}, res("list", "", "pods", "", "default", "")},
		{"list all namespaces", "List", &resourcev1.ListRequest{Resource: pods}, res("list", "", "pods", "", "", "")},
		{"list one by name", "List", &resourcev1.ListRequest{Resource: pods, Namespace: "default", FieldSelector: "metadata.name=web"}, res("list", "", "pods", "", "default", "web")},
		{"watch", "Watch", &resourcev1.WatchRequest{Resource: deployments, Namespace: "team"}, res("watch", "apps", "deployments", "", "team", "")},
		{"watch one", "Watch", &resourcev1.WatchRequest{Resource: pods, FieldSelector: "metadata.name==web,spec.nodeName=n1"}, res("watch", "", "pods", "", "", "web")},
		{"watch by node", "Watch", &resourcev1.WatchRequest{Resource: pods, FieldSelector: "spec.nodeName=n1"}, res("watch", "", "pods", "", "", "")},
		{"create", "Create", &resourcev1.CreateRequest{Resource: pods, Namespace: "default", Object: pod, Name: "ignored"}, res("create", "", "pods", "", "default", "")},
		{"create binding", "Create", &resourcev1.CreateRequest{Resource: pods, Namespace: "default", Name: "web", Subresource: "binding"}, res("create", "", "pods", "binding", "default", "web")},
		{"update", "Update", &resourcev1.UpdateRequest{Resource: pods, Namespace: "default", Object: pod}, res("update", "", "pods", "", "default", "web")},
		{"update scale", "Update", &resourcev1.UpdateRequest{Resource: deployments, Namespace: "team", Subresource: "scale",
			Object: pack(t, &appsv1.Deployment{Metadata: &metav1.ObjectMeta{Name: "d"}})}, res("update", "apps", "deployments", "scale", "team", "d")},
		{"update status", "UpdateStatus", &resourcev1.UpdateRequest{Resource: pods, Namespace: "default", Object: pod}, res("update", "", "pods", "status", "default", "web")},
		{"update without object", "Update", &resourcev1.UpdateRequest{Resource: pods, Namespace: "default"}, res("update", "", "pods", "", "default", "")},
		{"delete", "Delete", &resourcev1.DeleteRequest{Resource: pods, Namespace: "default", Name: "web"}, res("delete", "", "pods", "", "default", "web")},
		{"patch", "Patch", &resourcev1.PatchRequest{Resource: deployments, Namespace: "team", Name: "d", Subresource: "status"}, res("patch", "apps", "deployments", "status", "team", "d")},
		{"namespace is in itself", "Get", &resourcev1.GetRequest{Resource: namespaces, Name: "team"}, res("get", "", "namespaces", "", "team", "team")},
		{"no resource", "Get", &resourcev1.GetRequest{}, authz.Attributes{Verb: "get", ResourceRequest: true}},
		{"unknown message", "Get", "not a request", authz.Attributes{Verb: "get", Path: "/keelson.resource.v1.ResourceService/Get"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, GRPCAttributes("/keelson.resource.v1.ResourceService/"+tt.method, tt.req))
		})
	}
	require.Equal(t, authz.Attributes{Verb: "get", Path: "/grpc.health.v1.Health/Check"}, GRPCAttributes("/grpc.health.v1.Health/Check", nil))
}

// TestObjectNameReadsAsProtobufDoes checks that the name authorized is the name the service
// decodes, however the metadata is split or repeated on the wire.
func TestObjectNameReadsAsProtobufDoes(t *testing.T) {
	meta := func(fields ...[]byte) []byte {
		var b []byte
		for _, f := range fields {
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendBytes(b, f)
		}
		return b
	}
	str := func(num protowire.Number, s string) []byte {
		b := protowire.AppendTag(nil, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	tests := []struct {
		name  string
		value []byte
		want  string
	}{
		{"one metadata", meta(str(1, "web")), "web"},
		{"metadata split in two", meta(str(1, "web"), str(3, "default")), "web"},
		{"a later name wins", meta(str(1, "first"), str(1, "second")), "second"},
		{"a repeated name in one metadata", meta(append(str(1, "a"), str(1, "b")...)), "b"},
		{"no name", meta(str(3, "default")), ""},
		{"truncated", meta(str(1, "web"))[:4], ""},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, objectName(&anypb.Any{Value: tt.value}))
			if tt.want != "" {
				var pod corev1.Pod
				require.NoError(t, pod.UnmarshalVT(tt.value))
				require.Equal(t, tt.want, pod.GetMetadata().GetName(), "the protobuf decoder agrees")
			}
		})
	}
}
