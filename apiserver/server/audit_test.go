package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/audit"
	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/wire"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

// TestAuditLogRecordsRESTAndGRPC runs an apiserver with --audit-log-path, makes a create, a get and
// a failed get over REST and over gRPC, stops it, and finds each in the log with its verb, object
// and response code.
func TestAuditLogRecordsRESTAndGRPC(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.AuditLogPath = filepath.Join(t.TempDir(), "audit.log")
	srv, stop := runUntilStopped(t, cfg)

	code, body := do(t, srv, http.MethodPost, "/api/v1/namespaces/default/configmaps", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rest"}}`))
	require.Equal(t, http.StatusCreated, code, string(body))
	code, _ = do(t, srv, http.MethodGet, "/api/v1/namespaces/default/configmaps/rest", nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = do(t, srv, http.MethodGet, "/api/v1/namespaces/default/configmaps/missing", nil)
	require.Equal(t, http.StatusNotFound, code)

	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	rc := resourcev1.NewResourceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gvr := &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	raw, err := wire.Marshal(&corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "grpc", Namespace: "default"}})
	require.NoError(t, err)
	_, err = rc.Create(ctx, &resourcev1.CreateRequest{Resource: gvr, Namespace: "default",
		Object: &anypb.Any{TypeUrl: "type.googleapis.com/keelson.core.v1.ConfigMap", Value: raw}})
	require.NoError(t, err)
	_, err = rc.Get(ctx, &resourcev1.GetRequest{Resource: gvr, Namespace: "default", Name: "grpc"})
	require.NoError(t, err)
	_, err = rc.Get(ctx, &resourcev1.GetRequest{Resource: gvr, Namespace: "default", Name: "missing"})
	require.Error(t, err)
	stop()

	f, err := os.Open(cfg.AuditLogPath)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var events []audit.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		require.Equal(t, "audit.k8s.io/v1", e.APIVersion)
		require.Equal(t, "Event", e.Kind)
		require.Equal(t, "Metadata", e.Level)
		require.NotEmpty(t, e.AuditID)
		require.False(t, time.Time(e.RequestReceivedTimestamp).IsZero())
		require.False(t, time.Time(e.StageTimestamp).After(time.Now()))
		events = append(events, e)
	}
	require.NoError(t, sc.Err())

	find := func(uriPrefix, verb, name string) audit.Event {
		t.Helper()
		for _, e := range events {
			if strings.HasPrefix(e.RequestURI, uriPrefix) && e.Verb == verb && e.ObjectRef != nil && e.ObjectRef.Name == name &&
				e.Stage == "ResponseComplete" {
				return e
			}
		}
		t.Fatalf("no %s %s of %q in the audit log", verb, uriPrefix, name)
		return audit.Event{}
	}
	for _, c := range []struct {
		uri, verb, name string
		code            int32
	}{
		{"/api/v1/namespaces/default/configmaps", "create", "", 201},
		{"/api/v1/namespaces/default/configmaps/rest", "get", "rest", 200},
		{"/api/v1/namespaces/default/configmaps/missing", "get", "missing", 404},
		{resourcev1.ResourceService_Create_FullMethodName, "create", "grpc", 200},
		{resourcev1.ResourceService_Get_FullMethodName, "get", "grpc", 200},
		{resourcev1.ResourceService_Get_FullMethodName, "get", "missing", 404},
	} {
		t.Run(c.verb+" "+c.uri+" "+c.name, func(t *testing.T) {
			e := find(c.uri, c.verb, c.name)
			require.Equal(t, c.code, e.ResponseStatus.Code)
			require.Equal(t, c.code >= 400, e.ResponseStatus.Status == "Failure")
			require.Equal(t, "configmaps", e.ObjectRef.Resource)
			require.Equal(t, "default", e.ObjectRef.Namespace)
			require.Equal(t, "v1", e.ObjectRef.APIVersion)
			require.Equal(t, []string{"127.0.0.1"}, e.SourceIPs)
		})
	}
}
