package integration

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

var configMapsGVR = &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// TestHostileDeleteWithoutOptionsDeletesWithDefaults deletes with no options at all, over gRPC (no
// options message) and over REST (no body): both delete the object with the default options.
func TestHostileDeleteWithoutOptionsDeletesWithDefaults(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	c := cl.Client()
	conn, err := grpc.NewClient(cl.Endpoint(0), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	raw := resourcev1.NewResourceServiceClient(conn)

	_, err = c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("by-grpc", nil)})
	require.NoError(t, err)
	res, err := raw.Delete(ctx, &resourcev1.DeleteRequest{Resource: configMapsGVR, Namespace: "default", Name: "by-grpc"})
	require.NoError(t, err)
	require.True(t, res.GetDeleted())
	_, err = c.ConfigMaps("default").Get(ctx, "by-grpc")
	require.True(t, apierrors.IsNotFound(err), "after the delete: %v", err)

	_, err = c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{Metadata: meta("by-rest", nil)})
	require.NoError(t, err)
	code, st := restDo(t, http.MethodDelete, "http://"+cl.Endpoint(0)+"/api/v1/namespaces/default/configmaps/by-rest", "", "")
	require.Equal(t, http.StatusOK, code, st)
	require.Equal(t, "Success", st["status"], st)
	_, err = c.ConfigMaps("default").Get(ctx, "by-rest")
	require.True(t, apierrors.IsNotFound(err), "after the delete: %v", err)
}
