package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	resourcev1 "github.com/keelson-dev/keelson/proto/resource/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// badCredential is a kubeconfig that the cluster refuses, and what every client path must say.
type badCredential struct {
	name string
	// kubeconfig is the file's path.
	kubeconfig string
	// refused: the apiserver answers 401 with a Status whose message holds status; otherwise the
	// client refuses the apiserver's certificate and the TLS error holds tlsErr.
	refused bool
	status  []string
	tlsErr  string
	// client is what pkg/client's error must hold beyond the endpoint.
	client []string
	// kubectl is what `kubectl get pods` must print.
	kubectl []string
}

// TestAuthErrorsAreClear checks that an expired token, a client certificate the cluster CA did
// not sign, an expired client certificate and an apiserver certificate the kubeconfig's CA did not
// sign fail with an error that says so, on every client path: REST (Kubernetes' Status), gRPC
// (Unauthenticated with the same message), pkg/client and kubectl.
func TestAuthErrorsAreClear(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	require.NoError(t, err, "kubectl must be on PATH")
	dir := t.TempDir()
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	saPub, err := pki.EncodePublicKey(saKey.Public())
	require.NoError(t, err)
	require.NoError(t, pki.WriteFile(filepath.Join(dir, "sa.pub"), saPub, 0o644))
	const issuer = "https://keelson.test"
	cl := framework.StartCluster(t, framework.Options{Configure: func(cfg *server.Config) {
		cfg.AuthorizationModes = []string{"Node", "RBAC"}
		cfg.EnableBootstrapTokenAuth = true
		cfg.ServiceAccountKeyFiles = []string{filepath.Join(dir, "sa.pub")}
		cfg.ServiceAccountIssuers = []string{issuer}
		cfg.APIAudiences = []string{"keelson"}
	}})
	p := cl.PKI()
	endpoint := cl.Endpoint(0)
	caFile := p.CertFile(clusterpki.CAName)
	cluster := kubeconfig.Cluster{Server: "https://" + endpoint, CertificateAuthority: caFile}
	ctx := testContext(t)

	// An expired bound service account token, signed with the cluster's key.
	signer, err := serviceaccount.NewSigner(saKey)
	require.NoError(t, err)
	issued := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	saToken, err := signer.SignBound(serviceaccount.NewBoundClaims(serviceaccount.BoundToken{
		Issuer: issuer, Audiences: []string{"keelson"}, Namespace: "default",
		ServiceAccount: serviceaccount.ObjectRef{Name: "builder", UID: "builder-uid"}, IssuedAt: issued, Expiration: time.Hour,
	}))
	require.NoError(t, err)
	saExp := issued.Add(time.Hour).UTC().Format(time.RFC3339)

	// An expired bootstrap token: its Secret's expiration has passed.
	bootExp := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	createBootstrapSecret(ctx, t, cl, "abcdef", "0123456789abcdef", bootExp)

	// Client certificates: one of another CA, one of the cluster CA that has expired.
	other, err := pki.NewCA("other-ca", time.Hour)
	require.NoError(t, err)
	mallory, err := other.Issue(pki.ClientSpec("mallory", "system:masters"))
	require.NoError(t, err)
	bob, err := p.CA.Issue(pki.CertSpec{CommonName: "bob", Usages: pki.ClientSpec("bob").Usages, Validity: time.Nanosecond})
	require.NoError(t, err)
	admin, err := p.KeyPair(clusterpki.AdminName)
	require.NoError(t, err)
	otherCA := filepath.Join(dir, "other-ca.crt")
	require.NoError(t, pki.WriteFile(otherCA, pki.EncodeCert(other.Cert), 0o644))

	write := func(name string, c kubeconfig.Cluster, u kubeconfig.AuthInfo) string {
		path := filepath.Join(dir, name+".kubeconfig")
		require.NoError(t, kubeconfig.Write(kubeconfig.New(name, c, u), path))
		return path
	}
	certUser := func(name string, kp *pki.KeyPair) kubeconfig.AuthInfo {
		certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		require.NoError(t, pki.WriteKeyPair(kp, certFile, keyFile))
		return kubeconfig.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile}
	}
	saKubeconfig := write("sa", cluster, kubeconfig.AuthInfo{Token: saToken})
	bootKubeconfig := write("boot", cluster, kubeconfig.AuthInfo{Token: "abcdef.0123456789abcdef"})
	malloryKubeconfig := write("mallory", cluster, certUser("mallory", mallory))
	bobKubeconfig := write("bob", cluster, certUser("bob", bob))
	wrongCAKubeconfig := write("wrong-ca", kubeconfig.Cluster{Server: "https://" + endpoint, CertificateAuthority: otherCA}, certUser("admin", admin))

	tests := []badCredential{
		{name: "expired service account token", kubeconfig: saKubeconfig, refused: true,
			status:  []string{"Unauthorized: invalid service account token: the bearer token has expired (exp " + saExp + "); request a new one"},
			client:  []string{`refused the credentials of user "sa" (token) in kubeconfig ` + saKubeconfig, "has expired (exp " + saExp + ")"},
			kubectl: []string{"error: You must be logged in to the server"}},
		{name: "expired bootstrap token", kubeconfig: bootKubeconfig, refused: true,
			status:  []string{"Unauthorized: invalid bootstrap token abcdef: the bearer token has expired (exp " + bootExp + "); create a new bootstrap token"},
			client:  []string{`refused the credentials of user "boot" (token) in kubeconfig ` + bootKubeconfig, "has expired (exp " + bootExp + ")"},
			kubectl: []string{"error: You must be logged in to the server"}},
		{name: "client certificate of another CA", kubeconfig: malloryKubeconfig, refused: true,
			status: []string{`Unauthorized: x509: certificate signed by unknown authority: the client certificate CN="mallory" O=["system:masters"] (issuer CN="other-ca", valid `,
				"is not signed by a CA of the apiserver's --client-ca-file: use a certificate that the cluster CA signed"},
			client: []string{`refused the credentials of user "mallory" (client-certificate ` + filepath.Join(dir, "mallory.crt") + ") in kubeconfig " + malloryKubeconfig,
				"is not signed by a CA of the apiserver's --client-ca-file"},
			kubectl: []string{"error: You must be logged in to the server"}},
		{name: "expired client certificate", kubeconfig: bobKubeconfig, refused: true,
			status: []string{`Unauthorized: x509: certificate has expired or is not yet valid: the client certificate CN="bob" (issuer CN="keelson-ca", valid `,
				"has expired (the apiserver's time is ", "renew the certificate"},
			client: []string{`refused the credentials of user "bob" (client-certificate ` + filepath.Join(dir, "bob.crt") + ") in kubeconfig " + bobKubeconfig,
				"has expired"},
			kubectl: []string{"error: You must be logged in to the server"}},
		{name: "apiserver certificate of another CA", kubeconfig: wrongCAKubeconfig,
			tlsErr: "x509: certificate signed by unknown authority",
			client: []string{`the apiserver's certificate CN="`, `is not signed by certificate-authority ` + otherCA + ` of cluster "wrong-ca" in kubeconfig ` + wrongCAKubeconfig,
				"point the kubeconfig's certificate-authority at the CA"},
			kubectl: []string{"tls: failed to verify certificate: x509: certificate signed by unknown authority"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.APIClient{Kubeconfig: tt.kubeconfig}.ClientConfig()
			require.NoError(t, err)
			t.Run("REST", func(t *testing.T) { checkRESTRefusal(ctx, t, "https://"+endpoint, cfg, tt) })
			t.Run("gRPC", func(t *testing.T) { checkGRPCRefusal(ctx, t, endpoint, cfg, tt) })
			t.Run("pkg/client", func(t *testing.T) {
				c, err := config.APIClient{Kubeconfig: tt.kubeconfig}.NewClient("auth-errors", zap.NewNop())
				require.NoError(t, err)
				defer func() { _ = c.Close() }()
				short, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				_, err = c.Pods("default").List(short, client.ListOptions{})
				require.Error(t, err)
				t.Logf("pkg/client: %v", err)
				require.ErrorContains(t, err, "apiserver "+endpoint)
				var te *client.TLSError
				require.Equal(t, !tt.refused, errors.As(err, &te), "a *client.TLSError exactly when the handshake failed: %v", err)
				for _, w := range tt.client {
					require.ErrorContains(t, err, w)
				}
			})
			t.Run("kubectl", func(t *testing.T) {
				cmdCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				out, err := exec.CommandContext(cmdCtx, kubectl, "--kubeconfig", tt.kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache"),
					"get", "pods").CombinedOutput()
				t.Logf("kubectl get pods: %s", out)
				var ee *exec.ExitError
				require.ErrorAs(t, err, &ee, "%s", out)
				require.NotZero(t, ee.ExitCode())
				for _, w := range tt.kubectl {
					require.Contains(t, string(out), w)
				}
				if !tt.refused {
					return
				}
				// A request kubectl sends without discovery prints the server's Status message.
				out, err = exec.CommandContext(cmdCtx, kubectl, "--kubeconfig", tt.kubeconfig, "--cache-dir", filepath.Join(t.TempDir(), "cache"),
					"create", "configmap", "cm", "--from-literal=a=b").CombinedOutput()
				t.Logf("kubectl create configmap: %s", out)
				require.ErrorAs(t, err, &ee, "%s", out)
				for _, w := range tt.status {
					require.Contains(t, string(out), w)
				}
			})
		})
	}
}

// createBootstrapSecret creates the Secret of bootstrap token id.secret, expiring at expiration,
// as the admin.
func createBootstrapSecret(ctx context.Context, t *testing.T, cl *framework.Cluster, id, secret, expiration string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
		"metadata": map[string]any{"name": "bootstrap-token-" + id, "namespace": "kube-system"},
		"stringData": map[string]string{"token-id": id, "token-secret": secret, "expiration": expiration,
			"usage-bootstrap-authentication": "true"},
	})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.URL(0)+"/api/v1/namespaces/kube-system/secrets", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	hc := cl.HTTPClient()
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", raw)
}

// checkRESTRefusal GETs the pods of default with cfg's credentials: a 401 Status holding
// tt.status, or a TLS error holding tt.tlsErr.
func checkRESTRefusal(ctx context.Context, t *testing.T, base string, cfg client.Config, tt badCredential) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg.TLS.Clone()}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/namespaces/default/pods", nil)
	require.NoError(t, err)
	if cfg.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
	}
	resp, err := hc.Do(req)
	if !tt.refused {
		require.ErrorContains(t, err, tt.tlsErr)
		t.Logf("REST: %v", err)
		return
	}
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	t.Logf("REST: %d %v", resp.StatusCode, st["message"])
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "Status", st["kind"])
	require.Equal(t, "Unauthorized", st["reason"])
	for _, w := range tt.status {
		require.Contains(t, st["message"], w)
	}
}

// checkGRPCRefusal lists pods over gRPC with cfg's credentials: Unauthenticated with the message
// the REST Status holds, or an Unavailable call whose message holds tt.tlsErr.
func checkGRPCRefusal(ctx context.Context, t *testing.T, endpoint string, cfg client.Config, tt badCredential) {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(credentials.NewTLS(cfg.TLS.Clone())))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	if cfg.BearerToken != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+cfg.BearerToken)
	}
	_, err = resourcev1.NewResourceServiceClient(conn).List(ctx, &resourcev1.ListRequest{
		Resource: &resourcev1.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: "default"})
	t.Logf("gRPC: %v", err)
	if !tt.refused {
		require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
		require.ErrorContains(t, err, tt.tlsErr)
		return
	}
	require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
	for _, w := range tt.status {
		require.Contains(t, status.Convert(err).Message(), w)
	}
}
