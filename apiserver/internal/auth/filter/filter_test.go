package filter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/keelson-dev/keelson/apiserver/internal/auth/anonymous"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authn"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/authz"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/clientcert"
	"github.com/keelson-dev/keelson/apiserver/internal/auth/user"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
)

var errExpired = errors.New("the token has expired")

// testConfig authenticates the token "alice" as alice, refuses "old" as expired, accepts client
// certificates and lets anonymous requests reach the health paths; alice may do anything in
// namespace "mine" and nothing else.
func testConfig(t *testing.T) Config {
	t.Helper()
	tokens := authn.TokenFunc(func(_ context.Context, tok string) (*user.Info, bool, error) {
		switch tok {
		case "alice":
			return &user.Info{Name: "alice"}, true, nil
		case "old":
			return nil, false, errExpired
		}
		return nil, false, nil
	})
	return Config{
		Authenticator: authn.Chain(clientcert.Authenticator{}, authn.BearerToken(tokens), anonymous.Authenticator{}),
		Authorizer: authz.Func(func(_ context.Context, a authz.Attributes) (authz.Decision, string, error) {
			switch {
			case a.User.Name == user.Anonymous && !a.ResourceRequest:
				return authz.Allow, "", nil
			case a.User.Name == "alice" && a.Namespace == "mine":
				return authz.Allow, "", nil
			case a.User.Name == "keelson-admin" && a.User.InGroup("system:masters"):
				return authz.Allow, "", nil
			}
			return authz.NoOpinion, "", nil
		}),
		Logger: zap.NewNop(),
	}
}

func TestHTTP(t *testing.T) {
	admin := &x509.Certificate{Subject: pkix.Name{CommonName: "keelson-admin", Organization: []string{"system:masters"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	tests := []struct {
		name     string
		method   string
		path     string
		header   string
		chains   [][]*x509.Certificate
		wantCode int
		wantBody map[string]any
		wantUser string
	}{
		{"anonymous resource request", "GET", "/api/v1/namespaces/mine/pods", "", nil, 401,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401.0}, ""},
		{"expired token", "GET", "/api/v1/namespaces/mine/pods", "Bearer old", nil, 401,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "message": "Unauthorized: the token has expired", "reason": "Unauthorized", "code": 401.0}, ""},
		{"unknown token even on a health path", "GET", "/healthz", "Bearer who", nil, 401,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure", "message": "Unauthorized: " + authn.ErrUnknownToken.Error(), "reason": "Unauthorized", "code": 401.0}, ""},
		{"anonymous health", "GET", "/healthz", "", nil, 200, nil, user.Anonymous},
		{"forbidden create", "POST", "/api/v1/namespaces/default/pods", "Bearer alice", nil, 403,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
				"message": `pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"`,
				"reason":  "Forbidden", "details": map[string]any{"kind": "pods"}, "code": 403.0}, ""},
		{"forbidden named get", "GET", "/apis/apps/v1/namespaces/default/deployments/web", "Bearer alice", nil, 403,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
				"message": `deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "default"`,
				"reason":  "Forbidden", "details": map[string]any{"name": "web", "group": "apps", "kind": "deployments"}, "code": 403.0}, ""},
		{"forbidden path", "GET", "/metrics", "Bearer alice", nil, 403,
			map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
				"message": `forbidden: User "alice" cannot get path "/metrics"`, "reason": "Forbidden", "details": map[string]any{}, "code": 403.0}, ""},
		{"allowed", "GET", "/api/v1/namespaces/mine/pods", "Bearer alice", nil, 200, nil, "alice"},
		{"client certificate", "DELETE", "/api/v1/nodes/n1", "", [][]*x509.Certificate{{admin}}, 200, nil, "keelson-admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen *user.Info
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = user.FromContext(r.Context())
				require.Empty(t, r.Header.Get("Authorization"), "the credential goes no further")
				w.WriteHeader(http.StatusOK)
			})
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			if tt.chains != nil {
				req.TLS = &tls.ConnectionState{VerifiedChains: tt.chains}
			}
			rec := httptest.NewRecorder()
			HTTP(next, testConfig(t)).ServeHTTP(rec, req)
			require.Equal(t, tt.wantCode, rec.Code, rec.Body.String())
			if tt.wantBody != nil {
				require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
				var got map[string]any
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
				require.Equal(t, tt.wantBody, got)
				require.Nil(t, seen)
				return
			}
			require.NotNil(t, seen)
			require.Equal(t, tt.wantUser, seen.Name)
		})
	}
}

func TestHTTPAuthorizerError(t *testing.T) {
	c := testConfig(t)
	c.Authorizer = authz.Func(func(context.Context, authz.Attributes) (authz.Decision, string, error) {
		return authz.NoOpinion, "", errors.New("policy unavailable")
	})
	rec := httptest.NewRecorder()
	HTTP(http.NotFoundHandler(), c).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
}

func incoming(token string, chains [][]*x509.Certificate) context.Context {
	ctx := context.Background()
	if token != "" {
		ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", token))
	}
	if chains != nil {
		ctx = peer.NewContext(ctx, &peer.Peer{AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: chains}}})
	}
	return ctx
}

func TestUnary(t *testing.T) {
	pods := &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}
	admin := &x509.Certificate{Subject: pkix.Name{CommonName: "keelson-admin", Organization: []string{"system:masters"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	tests := []struct {
		name     string
		ctx      context.Context
		method   string
		req      any
		wantCode codes.Code
		wantMsg  string
		wantUser string
	}{
		{"anonymous resource call", incoming("", nil), "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "mine", Name: "p"}, codes.Unauthenticated, "Unauthorized", ""},
		{"expired token", incoming("Bearer old", nil), "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "mine", Name: "p"}, codes.Unauthenticated, "Unauthorized: the token has expired", ""},
		{"forbidden create", incoming("Bearer alice", nil), "Create", &resourcev1.CreateRequest{Resource: pods, Namespace: "default"}, codes.PermissionDenied,
			`pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"`, ""},
		{"forbidden status update", incoming("Bearer alice", nil), "UpdateStatus", &resourcev1.UpdateRequest{Resource: pods, Namespace: "default"}, codes.PermissionDenied,
			`pods is forbidden: User "alice" cannot update resource "pods/status" in API group "" in the namespace "default"`, ""},
		{"allowed", incoming("Bearer alice", nil), "Get", &resourcev1.GetRequest{Resource: pods, Namespace: "mine", Name: "p"}, codes.OK, "", "alice"},
		{"client certificate", incoming("", [][]*x509.Certificate{{admin}}), "Delete", &resourcev1.DeleteRequest{Resource: pods, Namespace: "x", Name: "p"}, codes.OK, "", "keelson-admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen *user.Info
			handler := func(ctx context.Context, _ any) (any, error) {
				seen, _ = user.FromContext(ctx)
				return "done", nil
			}
			info := &grpc.UnaryServerInfo{FullMethod: "/keelson.resource.v1.ResourceService/" + tt.method}
			resp, err := Unary(testConfig(t))(tt.ctx, tt.req, info, handler)
			require.Equal(t, tt.wantCode, status.Code(err), "%v", err)
			if tt.wantCode != codes.OK {
				require.Equal(t, tt.wantMsg, status.Convert(err).Message())
				require.Nil(t, seen)
				return
			}
			require.Equal(t, "done", resp)
			require.Equal(t, tt.wantUser, seen.Name)
		})
	}
}

// TestHealthCheckWithARefusedCredential checks that a gRPC health check is answered, as to an
// anonymous client, when its credential is refused: a client's balancer checks health with the
// client's credentials, and must find the connection healthy so that the client's own calls get
// the 401 that says what is wrong.
func TestHealthCheckWithARefusedCredential(t *testing.T) {
	var seen *user.Info
	handler := func(ctx context.Context, _ any) (any, error) {
		seen, _ = user.FromContext(ctx)
		return "serving", nil
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	resp, err := Unary(testConfig(t))(incoming("Bearer old", nil), nil, info, handler)
	require.NoError(t, err)
	require.Equal(t, "serving", resp)
	require.Equal(t, user.Anonymous, seen.Name)

	info.FullMethod = "/keelson.resource.v1.ResourceService/Get"
	_, err = Unary(testConfig(t))(incoming("Bearer old", nil), &resourcev1.GetRequest{}, info, handler)
	require.Equal(t, codes.Unauthenticated, status.Code(err), "any other call is refused")
}

// fakeStream is a server stream that receives reqs, then io.EOF.
type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	reqs []*resourcev1.WatchRequest
}

func (s *fakeStream) Context() context.Context { return s.ctx }

func (s *fakeStream) RecvMsg(m any) error {
	if len(s.reqs) == 0 {
		return errors.New("no more messages")
	}
	proto.Merge(m.(*resourcev1.WatchRequest), s.reqs[0])
	s.reqs = s.reqs[1:]
	return nil
}

func TestStream(t *testing.T) {
	pods := &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}
	watch := &grpc.StreamServerInfo{FullMethod: "/keelson.resource.v1.ResourceService/Watch", IsServerStream: true}
	tests := []struct {
		name     string
		token    string
		info     *grpc.StreamServerInfo
		req      *resourcev1.WatchRequest
		wantCode codes.Code
		wantMsg  string
	}{
		{"anonymous watch", "", watch, &resourcev1.WatchRequest{Resource: pods, Namespace: "mine"}, codes.Unauthenticated, "Unauthorized"},
		{"forbidden watch", "Bearer alice", watch, &resourcev1.WatchRequest{Resource: pods},
			codes.PermissionDenied, `pods is forbidden: User "alice" cannot watch resource "pods" in API group "" at the cluster scope`},
		{"allowed watch", "Bearer alice", watch, &resourcev1.WatchRequest{Resource: pods, Namespace: "mine"}, codes.OK, ""},
		{"anonymous health watch", "", &grpc.StreamServerInfo{FullMethod: "/grpc.health.v1.Health/Watch"}, nil, codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := &fakeStream{ctx: incoming(tt.token, nil)}
			if tt.req != nil {
				ss.reqs = append(ss.reqs, tt.req)
			}
			handled := false
			handler := func(_ any, s grpc.ServerStream) error {
				u, ok := user.FromContext(s.Context())
				require.True(t, ok)
				require.NotEmpty(t, u.Name)
				if tt.req != nil {
					if err := s.RecvMsg(&resourcev1.WatchRequest{}); err != nil {
						return err
					}
				}
				handled = true
				return nil
			}
			err := Stream(testConfig(t))(nil, ss, tt.info, handler)
			require.Equal(t, tt.wantCode, status.Code(err), "%v", err)
			require.Equal(t, tt.wantCode == codes.OK, handled)
			if tt.wantCode != codes.OK {
				require.Equal(t, tt.wantMsg, status.Convert(err).Message())
			}
		})
	}
}
