package integration

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/scheme"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

var configMapsGVR = &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// resourceClient returns a gRPC client of the resource service of cl's first apiserver, closed when
// the test ends.
func resourceClient(t *testing.T, cl *framework.Cluster) resourcev1.ResourceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(cl.Endpoint(0), grpc.WithTransportCredentials(cl.GRPCCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return resourcev1.NewResourceServiceClient(conn)
}

// TestHostileWritesWithoutMetadataGetAClearError sends objects with no metadata, or a null one, to
// every write over REST and gRPC: each gets a 4xx naming the problem and nothing changes.
func TestHostileWritesWithoutMetadataGetAClearError(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default/configmaps"
	code, body := restDo(t, http.MethodPost, base, "application/json",
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"kept"},"data":{"k":"v"}}`)
	require.Equal(t, http.StatusCreated, code, body)

	rest := []struct {
		name, method, path, contentType, body string
		code                                  int
		mention                               string
	}{
		{"create with no metadata", http.MethodPost, "", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap"}`, http.StatusUnprocessableEntity, "metadata.name: Required value: name or generateName is required"},
		{"create with null metadata", http.MethodPost, "", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":null}`, http.StatusUnprocessableEntity, "metadata.name: Required value"},
		{"create of an empty object", http.MethodPost, "", "application/json",
			`{}`, http.StatusUnprocessableEntity, "metadata.name: Required value"},
		{"dry-run create with no metadata", http.MethodPost, "?dryRun=All", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap"}`, http.StatusUnprocessableEntity, "metadata.name: Required value"},
		{"update with no metadata", http.MethodPut, "/kept", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","data":{"k":"x"}}`, http.StatusBadRequest, "does not match the name on the URL"},
		{"update with null metadata", http.MethodPut, "/kept", "application/json",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":null,"data":{"k":"x"}}`, http.StatusBadRequest, "does not match the name on the URL"},
		{"merge patch nulling metadata", http.MethodPatch, "/kept", "application/merge-patch+json",
			`{"metadata":null,"data":{"k":"x"}}`, http.StatusBadRequest, "name"},
		{"JSON patch removing metadata", http.MethodPatch, "/kept", "application/json-patch+json",
			`[{"op":"remove","path":"/metadata"}]`, http.StatusBadRequest, "name"},
		{"apply with no metadata", http.MethodPatch, "/kept?fieldManager=m", "application/apply-patch+yaml",
			`{"apiVersion":"v1","kind":"ConfigMap","data":{"k":"x"}}`, http.StatusBadRequest, "name"},
		{"apply with null metadata", http.MethodPatch, "/kept?fieldManager=m", "application/apply-patch+yaml",
			`{"apiVersion":"v1","kind":"ConfigMap","metadata":null,"data":{"k":"x"}}`, http.StatusBadRequest, "name"},
	}
	for _, tc := range rest {
		t.Run("REST "+tc.name, func(t *testing.T) {
			code, st := restDo(t, tc.method, base+tc.path, tc.contentType, tc.body)
			require.Equal(t, tc.code, code, st)
			require.Equal(t, "Status", st["kind"], st)
			require.Contains(t, st["message"], tc.mention)
		})
	}

	raw := resourceClient(t, cl)
	noMeta, err := anypb.New(&corev1.ConfigMap{Data: map[string]string{"k": "x"}})
	require.NoError(t, err)
	noMetaPod, err := anypb.New(&corev1.Pod{Status: &corev1.PodStatus{Phase: "Running"}})
	require.NoError(t, err)
	grpcCalls := []struct {
		name    string
		call    func() error
		code    codes.Code
		mention string
	}{
		{"create", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: configMapsGVR, Namespace: "default", Object: noMeta})
			return err
		}, codes.InvalidArgument, "metadata.name: Required value"},
		{"dry-run create", func() error {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: configMapsGVR, Namespace: "default", Object: noMeta, DryRun: true})
			return err
		}, codes.InvalidArgument, "metadata.name: Required value"},
		{"update", func() error {
			_, err := raw.Update(ctx, &resourcev1.UpdateRequest{Resource: configMapsGVR, Namespace: "default", Object: noMeta})
			return err
		}, codes.InvalidArgument, "name"},
		{"update status", func() error {
			_, err := raw.UpdateStatus(ctx, &resourcev1.UpdateRequest{Resource: podsGVR, Namespace: "default",
				Object: noMetaPod})
			return err
		}, codes.InvalidArgument, "name"},
	}
	for _, tc := range grpcCalls {
		t.Run("gRPC "+tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			st, _ := status.FromError(err)
			require.Equal(t, tc.code, st.Code(), "code for %q", st.Message())
			require.Contains(t, st.Message(), tc.mention)
		})
	}

	// Nothing of the above was written or changed.
	list, err := cl.Client().ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	require.Equal(t, "kept", list.Items[0].GetMetadata().GetName())
	require.Equal(t, map[string]string{"k": "v"}, list.Items[0].GetData())
}

// TestHostileCreateWithoutMetadataForEveryKind posts an object with no metadata to every built-in
// kind: each answers a 4xx Status rather than failing inside the server.
func TestHostileCreateWithoutMetadataForEveryKind(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	for _, k := range scheme.Builtin().Kinds() {
		path := "/api/" + k.Version
		if k.Group != "" {
			path = "/apis/" + k.Group + "/" + k.Version
		}
		if k.Namespaced {
			path += "/namespaces/default"
		}
		path += "/" + k.Resource
		for _, body := range []string{`{}`, `{"apiVersion":"` + k.APIVersion() + `","kind":"` + k.Kind + `","metadata":null}`} {
			t.Run(k.Resource+" "+body, func(t *testing.T) {
				code, st := restDo(t, http.MethodPost, base+path, "application/json", body)
				require.Equal(t, "Status", st["kind"], st)
				require.True(t, code >= 400 && code < 500, "%d: %v", code, st)
			})
		}
	}
}

// TestHostileDeleteWithoutOptionsDeletesWithDefaults deletes with no options at all, over gRPC (no
// options message) and over REST (no body): both delete the object with the default options.
func TestHostileDeleteWithoutOptionsDeletesWithDefaults(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	raw := resourceClient(t, cl)

	_, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("by-grpc", nil)})
	require.NoError(t, err)
	res, err := raw.Delete(ctx, &resourcev1.DeleteRequest{Resource: configMapsGVR, Namespace: "default", Name: "by-grpc"})
	require.NoError(t, err)
	require.True(t, res.GetDeleted())
	_, err = c.ConfigMaps("default").Get(ctx, "by-grpc")
	require.True(t, apierrors.IsNotFound(err), "after the delete: %v", err)

	_, err = c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("by-rest", nil)})
	require.NoError(t, err)
	code, st := restDo(t, http.MethodDelete, cl.URL(0)+"/api/v1/namespaces/default/configmaps/by-rest", "", "")
	require.Equal(t, http.StatusOK, code, st)
	require.Equal(t, "Success", st["status"], st)
	_, err = c.ConfigMaps("default").Get(ctx, "by-rest")
	require.True(t, apierrors.IsNotFound(err), "after the delete: %v", err)
}

// TestHostileInvalidQuantityIsInvalid writes a pod whose container asks for "lots" of CPU by every
// REST and gRPC write that carries it: each is 422 Invalid naming the field, never a failure to
// encode the object.
func TestHostileInvalidQuantityIsInvalid(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	base := cl.URL(0) + "/api/v1/namespaces/default/pods"
	const badField = "spec.containers[0].resources.limits[cpu]"
	code, body := restDo(t, http.MethodPost, base, "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kept"},"spec":{"containers":[{"name":"app","image":"nginx"}]}}`)
	require.Equal(t, http.StatusCreated, code, body)
	badPod := func(name string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `"},"spec":{"containers":[{"name":"app","image":"nginx","resources":{"limits":{"cpu":"lots"}}}]}}`
	}

	rest := []struct{ name, method, path, contentType, body string }{
		{"create", http.MethodPost, "", "application/json", badPod("bad")},
		{"dry-run create", http.MethodPost, "?dryRun=All", "application/json", badPod("bad")},
		{"merge patch", http.MethodPatch, "/kept", "application/merge-patch+json",
			`{"spec":{"containers":[{"name":"app","image":"nginx","resources":{"limits":{"cpu":"lots"}}}]}}`},
		{"strategic merge patch", http.MethodPatch, "/kept", "application/strategic-merge-patch+json",
			`{"spec":{"containers":[{"name":"app","resources":{"limits":{"cpu":"lots"}}}]}}`},
		{"dry-run JSON patch", http.MethodPatch, "/kept?dryRun=All", "application/json-patch+json",
			`[{"op":"add","path":"/spec/containers/0/resources","value":{"limits":{"cpu":"lots"}}}]`},
		{"update", http.MethodPut, "/kept", "application/json", badPod("kept")},
	}
	for _, tc := range rest {
		t.Run("REST "+tc.name, func(t *testing.T) {
			code, st := restDo(t, tc.method, base+tc.path, tc.contentType, tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, code, st)
			require.Equal(t, "Invalid", st["reason"], st)
			require.Contains(t, st["message"], badField)
		})
	}

	raw := resourceClient(t, cl)
	spec := podSpec("nginx")
	spec.Containers[0].Resources.Limits["cpu"] = "lots"
	pod, err := anypb.New(&corev1.Pod{Metadata: meta("bad", nil), Spec: spec})
	require.NoError(t, err)
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprintf("gRPC create dryRun=%v", dry), func(t *testing.T) {
			_, err := raw.Create(ctx, &resourcev1.CreateRequest{Resource: podsGVR, Namespace: "default", Object: pod, DryRun: dry})
			require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
			require.Contains(t, status.Convert(err).Message(), badField)
		})
	}
	t.Run("gRPC merge patch", func(t *testing.T) {
		_, err := raw.Patch(ctx, &resourcev1.PatchRequest{Resource: podsGVR, Namespace: "default", Name: "kept",
			PatchType: "application/merge-patch+json",
			Patch:     []byte(`{"spec":{"containers":[{"name":"app","image":"nginx","resources":{"limits":{"cpu":"lots"}}}]}}`)})
		require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
		require.Contains(t, status.Convert(err).Message(), badField)
	})

	// Nothing of the above was written.
	pods, err := cl.Client().Pods("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.Len(t, pods.Items, 1)
	require.Empty(t, pods.Items[0].GetSpec().GetContainers()[0].GetResources().GetLimits())
}
