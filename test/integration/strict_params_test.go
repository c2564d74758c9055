package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestRESTBooleanParamsTakeEverySpellingAndRefuseTheRest: a watch asked for with any of Go's
// spellings of true (the Python client sends "True") streams events; a boolean parameter holding
// anything else is a 400 naming it, never a silent false that would serve a watch as a list.
func TestRESTBooleanParamsTakeEverySpellingAndRefuseTheRest(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	base := cl.URL(0)
	cms := base + "/api/v1/namespaces/default/configmaps"

	for i, spelling := range []string{"True", "TRUE", "t", "1", "true"} {
		t.Run("watch="+spelling, func(t *testing.T) {
			// Each watch selects only its own object, so the others' ADDED events do not reach it.
			name := fmt.Sprintf("w%d", i)
			ch, code := restWatch(t, base, "/api/v1/namespaces/default/configmaps?timeoutSeconds=5&labelSelector=case%3D"+name+"&watch="+spelling)
			require.Equal(t, http.StatusOK, code)
			code, _ = restDo(t, http.MethodPost, cms, "application/json", `{"metadata":{"name":"`+name+`","labels":{"case":"`+name+`"}}}`)
			require.Equal(t, http.StatusCreated, code)
			e := nextEvent(t, ch)
			require.Equal(t, "ADDED", e.Type)
			require.Contains(t, string(e.Object), `"name":"`+name+`"`)
		})
	}

	t.Run("watch=False lists", func(t *testing.T) {
		code, list := restDo(t, http.MethodGet, cms+"?watch=False", "", "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "ConfigMapList", list["kind"])
	})

	bad := []struct {
		name, method, url, contentType, body, param, value string
	}{
		{"watch on a collection", http.MethodGet, cms + "?watch=bogus", "", "", "watch", "bogus"},
		{"watch on one object", http.MethodGet, cms + "/x?watch=bogus", "", "", "watch", "bogus"},
		{"allowWatchBookmarks on a watch", http.MethodGet, cms + "?watch=true&allowWatchBookmarks=maybe", "", "", "allowWatchBookmarks", "maybe"},
		{"allowWatchBookmarks on a list", http.MethodGet, cms + "?allowWatchBookmarks=maybe", "", "", "allowWatchBookmarks", "maybe"},
		{"sendInitialEvents on a watch", http.MethodGet, cms + "?watch=1&sendInitialEvents=yes&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan", "", "", "sendInitialEvents", "yes"},
		{"force on an apply", http.MethodPatch, cms + "/applied?fieldManager=m&force=bogus", "application/apply-patch+yaml",
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n", "force", "bogus"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, st := restDo(t, tt.method, tt.url, tt.contentType, tt.body)
			require.Equal(t, http.StatusBadRequest, code, st)
			require.Equal(t, "Status", st["kind"])
			require.Equal(t, "BadRequest", st["reason"])
			require.Contains(t, st["message"], tt.param)
			require.Contains(t, st["message"], `"`+tt.value+`"`)
		})
	}
	code, _ := restDo(t, http.MethodGet, cms+"/applied", "", "")
	require.Equal(t, http.StatusNotFound, code, "a refused apply must write nothing")
}

// TestWatchNegativeTimeoutIsRefusedOverRESTAndGRPC: a negative timeoutSeconds is refused by both
// edges with the same message, a 400 over REST and InvalidArgument over gRPC, rather than served.
func TestWatchNegativeTimeoutIsRefusedOverRESTAndGRPC(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)

	code, st := restDo(t, http.MethodGet, cl.URL(0)+"/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=-1", "", "")
	require.Equal(t, http.StatusBadRequest, code, st)
	require.Equal(t, "BadRequest", st["reason"])
	restMsg, _ := st["message"].(string)
	require.Contains(t, restMsg, `timeoutSeconds "-1"`)

	conn, err := grpc.NewClient(cl.Endpoint(0), grpc.WithTransportCredentials(cl.GRPCCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	// Bounded, so that a server which accepted the watch fails the test instead of hanging it.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := resourcev1.NewResourceServiceClient(conn).Watch(wctx, &resourcev1.WatchRequest{Resource: podsGVR, Namespace: "default", TimeoutSeconds: -1})
	if err == nil {
		_, err = s.Recv()
	}
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	require.Equal(t, restMsg, status.Convert(err).Message())
}
