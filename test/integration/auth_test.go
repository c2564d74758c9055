package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// Tokens of the token file the authentication tests start the apiserver with.
const (
	adminToken = "admin-token-0123456789"
	aliceToken = "alice-token-0123456789"
)

// authCluster starts an apiserver that authenticates with a token file (keelson-admin in
// system:masters, and alice) and authorizes with authorizer, or with modes when authorizer is nil.
func authCluster(t *testing.T, authorizer server.Authorizer, modes ...string) *framework.Cluster {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	require.NoError(t, os.WriteFile(tokens, []byte(adminToken+",keelson-admin,1,system:masters\n"+aliceToken+",alice,2,\"dev,qa\"\n"), 0o600))
	return framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) {
		c.TokenAuthFile = tokens
		c.Authorizer = authorizer
		if len(modes) > 0 {
			c.AuthorizationModes = modes
		}
	}})
}

// aliceInMine lets keelson-admin do anything, alice anything in namespace "mine" and every user,
// anonymous too, get non-resource paths (which anonymous users reach only on the health and version
// paths); it has no opinion on the rest.
var aliceInMine = server.AuthorizerFunc(func(_ context.Context, a server.AuthorizationAttributes) (server.AuthorizationDecision, string, error) {
	switch {
	case a.User.InGroup("system:masters"):
		return server.DecisionAllow, "", nil
	case !a.ResourceRequest && a.Verb == "get":
		return server.DecisionAllow, "", nil
	case a.User.Name == "alice" && a.Namespace == "mine":
		return server.DecisionAllow, "", nil
	}
	return server.DecisionNoOpinion, "", nil
})

// do sends a REST request with token (none when empty) and returns the code and the decoded body.
func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := framework.HTTPClientWithoutCertificateFor(req.URL.Host).Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if json.Valid(raw) && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		require.NoError(t, json.Unmarshal(raw, &out))
	}
	return resp.StatusCode, out
}

func status401(message string) map[string]any {
	return map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": message, "reason": "Unauthorized", "code": 401.0}
}

func status403(message string, details map[string]any) map[string]any {
	return map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
		"message": message, "reason": "Forbidden", "details": details, "code": 403.0}
}

const podJSON = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"c","image":"none"}]}}`

func TestAuthREST(t *testing.T) {
	cl := authCluster(t, aliceInMine)
	base := cl.URL(0)
	code, _ := do(t, "POST", base+"/api/v1/namespaces", adminToken, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"mine"}}`)
	require.Equal(t, http.StatusCreated, code)

	tests := []struct {
		name, method, path, token, body string
		wantCode                        int
		wantBody                        map[string]any
	}{
		{"anonymous resource request", "GET", "/api/v1/namespaces/mine/pods", "", "", 401, status401("Unauthorized")},
		{"anonymous discovery", "GET", "/api", "", "", 401, status401("Unauthorized")},
		{"anonymous health", "GET", "/healthz", "", "", 200, nil},
		{"anonymous version", "GET", "/version", "", "", 200, nil},
		{"unknown token", "GET", "/api/v1/namespaces/mine/pods", "nobody-knows-this", "", 401,
			status401("Unauthorized: invalid bearer token: the token is not known")},
		{"unknown token on a health path", "GET", "/readyz", "nobody-knows-this", "", 401,
			status401("Unauthorized: invalid bearer token: the token is not known")},
		{"forbidden create", "POST", "/api/v1/namespaces/default/pods", aliceToken, podJSON, 403,
			status403(`pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"`, map[string]any{"kind": "pods"})},
		{"forbidden named get", "GET", "/api/v1/namespaces/default/pods/web", aliceToken, "", 403,
			status403(`pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "default"`, map[string]any{"kind": "pods", "name": "web"})},
		{"forbidden cluster scope", "GET", "/apis/apps/v1/deployments?watch=true", aliceToken, "", 403,
			status403(`deployments.apps is forbidden: User "alice" cannot watch resource "deployments" in API group "apps" at the cluster scope`, map[string]any{"kind": "deployments", "group": "apps"})},
		{"allowed create", "POST", "/api/v1/namespaces/mine/pods", aliceToken, podJSON, 201, nil},
		{"allowed discovery", "GET", "/api", aliceToken, "", 200, nil},
		{"admin", "DELETE", "/api/v1/namespaces/mine/pods/web", adminToken, "", 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.method, base+tt.path, tt.token, tt.body)
			require.Equal(t, tt.wantCode, code, "%v", body)
			if tt.wantBody != nil {
				require.Equal(t, tt.wantBody, body)
			}
		})
	}
}

func TestAuthAlwaysDenyAndAlwaysAllow(t *testing.T) {
	// Each cluster in its own subtest: a cluster's leak check runs once the test that started it
	// ends, and would count a cluster that is still running.
	t.Run(server.ModeAlwaysDeny, func(t *testing.T) {
		deny := authCluster(t, nil, server.ModeAlwaysDeny)
		code, body := do(t, "GET", deny.URL(0)+"/api/v1/nodes", adminToken, "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, status403(`nodes is forbidden: User "keelson-admin" cannot list resource "nodes" in API group "" at the cluster scope`,
			map[string]any{"kind": "nodes"}), body)
		code, body = do(t, "GET", deny.URL(0)+"/metrics", adminToken, "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, `forbidden: User "keelson-admin" cannot get path "/metrics"`, body["message"])
	})
	t.Run(server.ModeAlwaysAllow, func(t *testing.T) {
		allow := authCluster(t, nil, server.ModeAlwaysAllow)
		code, _ := do(t, "GET", allow.URL(0)+"/api/v1/nodes", aliceToken, "")
		require.Equal(t, http.StatusOK, code)
		code, _ = do(t, "GET", allow.URL(0)+"/api/v1/nodes", "", "")
		require.Equal(t, http.StatusUnauthorized, code, "a token file turns anonymous resource requests away")
	})
}

// grpcAs returns a ResourceService client whose calls carry token (none when empty).
func grpcAs(t *testing.T, endpoint string) resourcev1.ResourceServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(framework.GRPCCredentialsWithoutCertificateFor(endpoint)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return resourcev1.NewResourceServiceClient(conn)
}

func withToken(ctx context.Context, token string) context.Context {
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

func TestAuthGRPC(t *testing.T) {
	cl := authCluster(t, aliceInMine)
	rpc := grpcAs(t, cl.Endpoint(0))
	ctx := testContext(t)
	pods := &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}
	tests := []struct {
		name     string
		token    string
		call     func(ctx context.Context) error
		wantCode codes.Code
		wantMsg  string
	}{
		{"anonymous list", "", func(ctx context.Context) error {
			_, err := rpc.List(ctx, &resourcev1.ListRequest{Resource: pods, Namespace: "mine"})
			return err
		}, codes.Unauthenticated, "Unauthorized"},
		{"unknown token", "nobody-knows-this", func(ctx context.Context) error {
			_, err := rpc.List(ctx, &resourcev1.ListRequest{Resource: pods, Namespace: "mine"})
			return err
		}, codes.Unauthenticated, "Unauthorized: invalid bearer token: the token is not known"},
		{"forbidden create", aliceToken, func(ctx context.Context) error {
			_, err := rpc.Create(ctx, &resourcev1.CreateRequest{Resource: pods, Namespace: "default"})
			return err
		}, codes.PermissionDenied, `pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default"`},
		{"forbidden delete", aliceToken, func(ctx context.Context) error {
			_, err := rpc.Delete(ctx, &resourcev1.DeleteRequest{Resource: pods, Namespace: "default", Name: "web"})
			return err
		}, codes.PermissionDenied, `pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "default"`},
		{"forbidden watch", aliceToken, func(ctx context.Context) error {
			w, err := rpc.Watch(ctx, &resourcev1.WatchRequest{Resource: pods})
			if err != nil {
				return err
			}
			_, err = w.Recv()
			return err
		}, codes.PermissionDenied, `pods is forbidden: User "alice" cannot watch resource "pods" in API group "" at the cluster scope`},
		{"allowed list", aliceToken, func(ctx context.Context) error {
			_, err := rpc.List(ctx, &resourcev1.ListRequest{Resource: pods, Namespace: "mine"})
			return err
		}, codes.OK, ""},
		{"admin", adminToken, func(ctx context.Context) error {
			_, err := rpc.Get(ctx, &resourcev1.GetRequest{Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "namespaces"}, Name: "default"})
			return err
		}, codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(withToken(ctx, tt.token))
			require.Equal(t, tt.wantCode, status.Code(err), "%v", err)
			if tt.wantCode != codes.OK {
				require.Equal(t, tt.wantMsg, status.Convert(err).Message())
			}
		})
	}
}

// TestAuthKubectl checks what the real kubectl prints for a refused token and a refused request.
func TestAuthKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl must be on PATH")
	cl := authCluster(t, aliceInMine)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600))
	run := func(token string, args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(dir, "cache"),
			"--server", cl.URL(0), "--certificate-authority", cl.PKI().CertFile(clusterpki.CAName), "--token", token}, args...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			require.NoError(t, err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	out, code := run("nobody-knows-this", "get", "pods", "-n", "mine")
	require.Equal(t, 1, code, out)
	// kubectl's discovery meets the 401 first, and says so as it does with Kubernetes.
	require.Contains(t, out, "error: You must be logged in to the server (the server has asked for the client to provide credentials)")

	out, code = run("nobody-knows-this", "create", "configmap", "cm", "-n", "mine", "--from-literal=a=b")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "Unauthorized: invalid bearer token: the token is not known")

	out, code = run(aliceToken, "create", "configmap", "cm", "-n", "default", "--from-literal=a=b")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "default"`)

	out, code = run(aliceToken, "get", "pods", "-n", "default")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"`)

	out, code = run(adminToken, "create", "namespace", "mine")
	require.Equal(t, 0, code, out)
	out, code = run(aliceToken, "create", "configmap", "cm", "-n", "mine", "--from-literal=a=b")
	require.Equal(t, 0, code, out)
}

// TestAuthServiceAccountTokens checks that a bound token works while its service account and pod
// exist, and stops working once the pod is deleted; and that a legacy token stops working once its
// service account is deleted.
func TestAuthServiceAccountTokens(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	pub := filepath.Join(t.TempDir(), "sa.pub")
	require.NoError(t, os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	require.NoError(t, os.WriteFile(tokens, []byte(adminToken+",keelson-admin,1,system:masters\n"), 0o600))
	const issuer = "https://keelson.test"
	cl := framework.StartCluster(t, framework.Options{Configure: func(c *server.Config) {
		c.TokenAuthFile = tokens
		c.ServiceAccountKeyFiles = []string{pub}
		c.ServiceAccountIssuers = []string{issuer}
		c.APIAudiences = []string{"keelson"}
		// Service accounts may read pods; nobody else but the admins may do anything.
		c.Authorizer = server.AuthorizerFunc(func(_ context.Context, a server.AuthorizationAttributes) (server.AuthorizationDecision, string, error) {
			if a.User.InGroup("system:masters") || (a.User.InGroup("system:serviceaccounts:default") && a.Verb == "list" && a.Resource == "pods") {
				return server.DecisionAllow, "", nil
			}
			return server.DecisionNoOpinion, "", nil
		})
	}})
	base := cl.URL(0)
	uidOf := func(body map[string]any) string { return body["metadata"].(map[string]any)["uid"].(string) }
	code, body := do(t, "POST", base+"/api/v1/namespaces/default/serviceaccounts", adminToken, `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"builder"}}`)
	require.Equal(t, http.StatusCreated, code, "%v", body)
	saUID := uidOf(body)
	code, body = do(t, "POST", base+"/api/v1/namespaces/default/pods", adminToken, podJSON)
	require.Equal(t, http.StatusCreated, code, "%v", body)
	podUID := uidOf(body)

	signer, err := serviceaccount.NewSigner(key)
	require.NoError(t, err)
	bound, err := signer.SignBound(serviceaccount.NewBoundClaims(serviceaccount.BoundToken{
		Issuer: issuer, Audiences: []string{"keelson"}, Namespace: "default",
		ServiceAccount: serviceaccount.ObjectRef{Name: "builder", UID: saUID}, Pod: &serviceaccount.ObjectRef{Name: "web", UID: podUID},
		IssuedAt: time.Now(), Expiration: time.Hour,
	}))
	require.NoError(t, err)
	expired, err := signer.SignBound(serviceaccount.NewBoundClaims(serviceaccount.BoundToken{
		Issuer: issuer, Audiences: []string{"keelson"}, Namespace: "default",
		ServiceAccount: serviceaccount.ObjectRef{Name: "builder", UID: saUID}, IssuedAt: time.Now().Add(-2 * time.Hour), Expiration: time.Hour,
	}))
	require.NoError(t, err)
	// The secret a legacy token names: the token is valid only while the secret holds it.
	legacy, err := signer.Sign(serviceaccount.NewLegacyClaims("default", "builder", saUID, "builder-token"))
	require.NoError(t, err)
	code, body = do(t, "POST", base+"/api/v1/namespaces/default/secrets", adminToken,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"builder-token","annotations":{"kubernetes.io/service-account.name":"builder","kubernetes.io/service-account.uid":"`+saUID+`"}},"type":"kubernetes.io/service-account-token","stringData":{"token":"`+legacy+`"}}`)
	require.Equal(t, http.StatusCreated, code, "%v", body)

	pods := base + "/api/v1/namespaces/default/pods"
	eventuallyCode := func(token string, want int, what string) map[string]any {
		t.Helper()
		var body map[string]any
		framework.Eventually(t, 10*time.Second, func() bool {
			var code int
			code, body = do(t, "GET", pods, token, "")
			return code == want
		}, "%s: %d", what, want)
		return body
	}
	eventuallyCode(bound, http.StatusOK, "a bound token")
	eventuallyCode(legacy, http.StatusOK, "a legacy token")
	code, body = do(t, "GET", pods, expired, "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body["message"], "Unauthorized: invalid service account token: the bearer token has expired (exp ")
	code, body = do(t, "POST", pods, bound, podJSON)
	require.Equal(t, http.StatusForbidden, code)
	require.Equal(t, `pods is forbidden: User "system:serviceaccount:default:builder" cannot create resource "pods" in API group "" in the namespace "default"`, body["message"])

	code, _ = do(t, "DELETE", pods+"/web?gracePeriodSeconds=0", adminToken, "")
	require.Equal(t, http.StatusOK, code)
	body = eventuallyCode(bound, http.StatusUnauthorized, "the bound token once its pod is deleted")
	require.Equal(t, "Unauthorized: invalid service account token: the pod the token is bound to (default/web) has been deleted", body["message"])

	code, _ = do(t, "DELETE", base+"/api/v1/namespaces/default/serviceaccounts/builder", adminToken, "")
	require.Equal(t, http.StatusOK, code)
	body = eventuallyCode(legacy, http.StatusUnauthorized, "the legacy token once its service account is deleted")
	require.Equal(t, "Unauthorized: invalid service account token: its service account (default/builder) has been deleted", body["message"])
}
