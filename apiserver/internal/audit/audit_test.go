package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/wire"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

func TestRESTRequest(t *testing.T) {
	for _, c := range []struct {
		method, target string
		verb           string
		ref            *ObjectRef
	}{
		{"GET", "/api/v1/namespaces/default/pods/p", "get", &ObjectRef{Resource: "pods", Namespace: "default", Name: "p", APIVersion: "v1"}},
		{"GET", "/api/v1/namespaces/default/pods", "list", &ObjectRef{Resource: "pods", Namespace: "default", APIVersion: "v1"}},
		{"GET", "/api/v1/pods?watch=true", "watch", &ObjectRef{Resource: "pods", APIVersion: "v1"}},
		{"GET", "/api/v1/watch/namespaces/kube-system/pods", "watch", &ObjectRef{Resource: "pods", Namespace: "kube-system", APIVersion: "v1"}},
		{"POST", "/apis/apps/v1/namespaces/default/deployments", "create", &ObjectRef{Resource: "deployments", Namespace: "default", APIGroup: "apps", APIVersion: "v1"}},
		{"PUT", "/apis/apps/v1/namespaces/default/deployments/d/scale", "update", &ObjectRef{Resource: "deployments", Namespace: "default", Name: "d", APIGroup: "apps", APIVersion: "v1", Subresource: "scale"}},
		{"PATCH", "/api/v1/nodes/n1/status", "patch", &ObjectRef{Resource: "nodes", Name: "n1", APIVersion: "v1", Subresource: "status"}},
		{"DELETE", "/api/v1/namespaces/default/configmaps", "deletecollection", &ObjectRef{Resource: "configmaps", Namespace: "default", APIVersion: "v1"}},
		{"DELETE", "/api/v1/namespaces/gone", "delete", &ObjectRef{Resource: "namespaces", Namespace: "gone", Name: "gone", APIVersion: "v1"}},
		{"PUT", "/api/v1/namespaces/ns/finalize", "update", &ObjectRef{Resource: "namespaces", Namespace: "ns", Name: "ns", APIVersion: "v1", Subresource: "finalize"}},
		{"GET", "/healthz", "get", nil},
		{"GET", "/apis/apps/v1", "get", nil},
		{"POST", "/version", "post", nil},
	} {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			verb, ref := restRequest(httptest.NewRequest(c.method, c.target, nil))
			require.Equal(t, c.verb, verb)
			require.Equal(t, c.ref, ref)
		})
	}
}

// started returns a logger writing to a file in a temporary directory, with its Run going, and a
// function that stops it and returns every event written.
func started(t *testing.T, cfg Config) (*Logger, func() []Event) {
	t.Helper()
	cfg.Path = filepath.Join(t.TempDir(), "audit.log")
	if cfg.Clock == nil {
		cfg.Clock = clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 123456000, time.UTC))
	}
	l, err := New(cfg, zap.NewNop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	stopped := false
	stop := func() []Event {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
		return readEvents(t, cfg.Path)
	}
	t.Cleanup(func() { stop() })
	return l, stop
}

func readEvents(t *testing.T, path string) []Event {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	var out []Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

var alice = &user.Info{Name: "alice", UID: "u-1", Groups: []string{"devs", user.AllAuthenticated}}

// TestHTTPRecordsEveryRequest sends a create, a get, a refused delete and a request without a
// user through the middleware and checks every field of their events.
func TestHTTPRecordsEveryRequest(t *testing.T) {
	l, stop := started(t, Config{})
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			w.WriteHeader(http.StatusCreated)
		case http.MethodDelete:
			http.Error(w, "forbidden", http.StatusForbidden)
		default:
			_, _ = w.Write([]byte("{}"))
		}
	})
	h := l.HTTP(inner)
	send := func(method, target string, u *user.Info) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		r.RemoteAddr = "127.0.0.7:40000"
		r.Header.Set("User-Agent", "kubectl/v1.31")
		if u != nil {
			r = r.WithContext(user.NewContext(r.Context(), u))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	created := send("POST", "/api/v1/namespaces/default/configmaps", alice)
	require.Equal(t, http.StatusCreated, created.Code)
	send("GET", "/api/v1/namespaces/default/configmaps/cm", alice)
	send("DELETE", "/api/v1/namespaces/kube-system/secrets/s", alice)
	send("GET", "/healthz?verbose=1", nil)

	events := stop()
	require.Len(t, events, 4)
	require.Equal(t, created.Header().Get("Audit-ID"), events[0].AuditID)
	want := []struct {
		verb, uri string
		code      int32
		ref       *ObjectRef
		user      UserInfo
	}{
		{"create", "/api/v1/namespaces/default/configmaps", 201, &ObjectRef{Resource: "configmaps", Namespace: "default", APIVersion: "v1"}, UserInfo{Username: "alice", UID: "u-1", Groups: alice.Groups}},
		{"get", "/api/v1/namespaces/default/configmaps/cm", 200, &ObjectRef{Resource: "configmaps", Namespace: "default", Name: "cm", APIVersion: "v1"}, UserInfo{Username: "alice", UID: "u-1", Groups: alice.Groups}},
		{"delete", "/api/v1/namespaces/kube-system/secrets/s", 403, &ObjectRef{Resource: "secrets", Namespace: "kube-system", Name: "s", APIVersion: "v1"}, UserInfo{Username: "alice", UID: "u-1", Groups: alice.Groups}},
		{"get", "/healthz?verbose=1", 200, nil, UserInfo{}},
	}
	ids := map[string]bool{}
	for i, w := range want {
		e := events[i]
		require.Equal(t, "Event", e.Kind)
		require.Equal(t, "audit.k8s.io/v1", e.APIVersion)
		require.Equal(t, "Metadata", e.Level)
		require.Equal(t, StageResponseComplete, e.Stage)
		require.Len(t, e.AuditID, 36)
		require.False(t, ids[e.AuditID], "audit IDs are unique")
		ids[e.AuditID] = true
		require.Equal(t, w.verb, e.Verb)
		require.Equal(t, w.uri, e.RequestURI)
		require.Equal(t, w.ref, e.ObjectRef)
		require.Equal(t, w.user, e.User)
		require.Equal(t, []string{"127.0.0.7"}, e.SourceIPs)
		require.Equal(t, "kubectl/v1.31", e.UserAgent)
		require.Equal(t, w.code, e.ResponseStatus.Code)
		require.Equal(t, w.code >= 400, e.ResponseStatus.Status == "Failure")
		require.Equal(t, time.Date(2026, 12, 7, 9, 0, 0, 123456000, time.UTC), time.Time(e.RequestReceivedTimestamp))
		require.Equal(t, time.Time(e.RequestReceivedTimestamp), time.Time(e.StageTimestamp))
	}
}

// TestHTTPWatchStartsThenCompletes checks a watch gets ResponseStarted when its response begins,
// and that the middleware keeps the writer a Flusher.
func TestHTTPWatchStartsThenCompletes(t *testing.T) {
	l, stop := started(t, Config{})
	h := l.HTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f, ok := w.(http.Flusher)
		require.True(t, ok)
		w.WriteHeader(http.StatusOK)
		f.Flush()
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/pods?watch=true", nil))
	events := stop()
	require.Len(t, events, 2)
	require.Equal(t, StageResponseStarted, events[0].Stage)
	require.Equal(t, StageResponseComplete, events[1].Stage)
	require.Equal(t, events[0].AuditID, events[1].AuditID)
	require.Equal(t, "watch", events[1].Verb)
}

type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	req  *resourcev1.WatchRequest
	sent int
}

func (s *fakeStream) Context() context.Context { return s.ctx }

func (s *fakeStream) RecvMsg(m any) error {
	*m.(*resourcev1.WatchRequest) = resourcev1.WatchRequest{Resource: s.req.GetResource(), Namespace: s.req.GetNamespace()}
	return nil
}

func (s *fakeStream) SendMsg(any) error { s.sent++; return nil }

// TestGRPCRecordsCalls checks a create, a failed get and a watch over the interceptors.
func TestGRPCRecordsCalls(t *testing.T) {
	l, stop := started(t, Config{})
	ctx := user.NewContext(context.Background(), alice)
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 5000}})
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("user-agent", "keelson-kubelet grpc-go/1.70"))
	cm, err := wire.Marshal(&corev1.ConfigMap{Metadata: &metav1.ObjectMeta{Name: "cm", Namespace: "default"}})
	require.NoError(t, err)
	gvr := &resourcev1.GroupVersionResource{Version: "v1", Resource: "configmaps"}

	unary := l.Unary()
	_, err = unary(ctx, &resourcev1.CreateRequest{Resource: gvr, Namespace: "default", Object: &anypb.Any{Value: cm}},
		&grpc.UnaryServerInfo{FullMethod: resourcev1.ResourceService_Create_FullMethodName},
		func(context.Context, any) (any, error) { return &resourcev1.CreateResponse{}, nil })
	require.NoError(t, err)
	notFound := apierrors.ToGRPC(apierrors.NewNotFound("", "configmaps", "missing"))
	_, err = unary(ctx, &resourcev1.GetRequest{Resource: gvr, Namespace: "default", Name: "missing"},
		&grpc.UnaryServerInfo{FullMethod: resourcev1.ResourceService_Get_FullMethodName},
		func(context.Context, any) (any, error) { return nil, notFound })
	require.Equal(t, notFound, err)
	forbidden := apierrors.ToGRPC(apierrors.NewForbidden("", "secrets", "s", "no"))
	_, err = unary(ctx, &resourcev1.UpdateRequest{Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "secrets"}, Namespace: "default", Object: &anypb.Any{Value: cm}},
		&grpc.UnaryServerInfo{FullMethod: resourcev1.ResourceService_UpdateStatus_FullMethodName},
		func(context.Context, any) (any, error) { return nil, forbidden })
	require.Error(t, err)

	fs := &fakeStream{ctx: ctx, req: &resourcev1.WatchRequest{Resource: gvr, Namespace: "default"}}
	err = l.Stream()(nil, fs, &grpc.StreamServerInfo{FullMethod: resourcev1.ResourceService_Watch_FullMethodName, IsServerStream: true},
		func(_ any, ss grpc.ServerStream) error {
			var req resourcev1.WatchRequest
			if err := ss.RecvMsg(&req); err != nil {
				return err
			}
			return errors.Join(ss.SendMsg(&resourcev1.WatchEvent{}), ss.SendMsg(&resourcev1.WatchEvent{}))
		})
	require.NoError(t, err)
	require.Equal(t, 2, fs.sent)

	events := stop()
	require.Len(t, events, 5)
	for _, e := range events {
		require.Equal(t, UserInfo{Username: "alice", UID: "u-1", Groups: alice.Groups}, e.User)
		require.Equal(t, []string{"127.0.0.9"}, e.SourceIPs)
		require.Equal(t, "keelson-kubelet grpc-go/1.70", e.UserAgent)
	}
	require.Equal(t, "create", events[0].Verb)
	require.Equal(t, resourcev1.ResourceService_Create_FullMethodName, events[0].RequestURI)
	require.Equal(t, &ObjectRef{Resource: "configmaps", Namespace: "default", Name: "cm", APIVersion: "v1"}, events[0].ObjectRef)
	require.Equal(t, int32(200), events[0].ResponseStatus.Code)

	require.Equal(t, "get", events[1].Verb)
	require.Equal(t, &ObjectRef{Resource: "configmaps", Namespace: "default", Name: "missing", APIVersion: "v1"}, events[1].ObjectRef)
	require.Equal(t, int32(404), events[1].ResponseStatus.Code)
	require.Equal(t, "Failure", events[1].ResponseStatus.Status)
	require.Contains(t, events[1].ResponseStatus.Message, "missing")

	require.Equal(t, "update", events[2].Verb)
	require.Equal(t, &ObjectRef{Resource: "secrets", Namespace: "default", Name: "cm", APIVersion: "v1", Subresource: "status"}, events[2].ObjectRef)
	require.Equal(t, int32(403), events[2].ResponseStatus.Code)

	require.Equal(t, StageResponseStarted, events[3].Stage)
	require.Equal(t, StageResponseComplete, events[4].Stage)
	require.Equal(t, events[3].AuditID, events[4].AuditID)
	require.Equal(t, "watch", events[4].Verb)
	require.Equal(t, &ObjectRef{Resource: "configmaps", Namespace: "default", APIVersion: "v1"}, events[4].ObjectRef)
}

// TestFullBufferDropsInsteadOfBlocking checks a request waits at most MaxWait when the writer is
// behind, and the drop is counted.
func TestFullBufferDropsInsteadOfBlocking(t *testing.T) {
	l, err := New(Config{Path: filepath.Join(t.TempDir(), "audit.log"), BufferSize: 1, MaxWait: time.Millisecond}, zap.NewNop())
	require.NoError(t, err)
	h := l.HTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	start := time.Now()
	for range 3 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	}
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, int64(2), l.Dropped())
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
func (failingWriter) Close() error              { return nil }

// TestWriteErrorIsLoggedNotFatal checks a failing log keeps Run going and the error is logged.
func TestWriteErrorIsLoggedNotFatal(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	l, err := New(Config{Path: filepath.Join(t.TempDir(), "audit.log")}, zap.New(core))
	require.NoError(t, err)
	l.out = failingWriter{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	h := l.HTTP(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	require.Eventually(t, func() bool { return logs.FilterMessage("audit log: write").Len() > 0 },
		10*time.Second, time.Millisecond, "the write error was not logged")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	cancel()
	require.NoError(t, <-done)
}

// TestNewFailsOnAnUnwritablePath checks a bad path stops the start.
func TestNewFailsOnAnUnwritablePath(t *testing.T) {
	_, err := New(Config{Path: filepath.Join(t.TempDir(), "missing", "audit.log")}, zap.NewNop())
	require.ErrorContains(t, err, "audit log")
}

// TestUserAuthenticatedInsideTheAudit records the user that authentication, which runs inside the
// audit, names — also on a request it then refuses — and no user for one it could not
// authenticate.
func TestUserAuthenticatedInsideTheAudit(t *testing.T) {
	l, stop := started(t, Config{})
	h := l.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		user.RecordAuthenticated(r.Context(), alice)
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	r := httptest.NewRequest("GET", "/api/v1/namespaces/default/secrets/s", nil)
	r.Header.Set("Authorization", "Bearer alice")
	h.ServeHTTP(httptest.NewRecorder(), r)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/namespaces/default/secrets/s", nil))

	events := stop()
	require.Len(t, events, 2)
	require.Equal(t, "alice", events[0].User.Username)
	require.Equal(t, int32(403), events[0].ResponseStatus.Code)
	require.Empty(t, events[1].User.Username)
	require.Equal(t, int32(401), events[1].ResponseStatus.Code)
}
