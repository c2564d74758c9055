package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/serviceaccount"
	authenticationv1 "github.com/keelson-dev/keelson/proto/authentication/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// TestTokenRequestOverRESTAndGRPC issues service account tokens through the token subresource
// over REST, as kubectl create token does, and over gRPC, as the kubelet does, and verifies them
// with the signing key's public half.
func TestTokenRequestOverRESTAndGRPC(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "sa.key")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	const issuer = "https://kubernetes.default.svc"
	cfg := servertest.Config(t)
	cfg.TokenRequest.SigningKeyFile, cfg.Auth.ServiceAccountIssuers, cfg.Auth.ServiceAccountKeyFiles = keyFile, []string{issuer}, []string{keyFile}
	// With service account tokens on, a request needs a credential; the plain-text port trusts its callers.
	cfg.InsecurePort = 0
	srv := servertest.StartConfig(t, cfg, zap.NewNop())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.New(client.Config{Endpoints: []string{srv.InsecureAddr().String()}})
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	sa, err := c.ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{Metadata: &metav1.ObjectMeta{Name: "app"}})
	require.NoError(t, err)
	pod, err := c.Pods("default").Create(ctx, &corev1.Pod{Metadata: &metav1.ObjectMeta{Name: "p"}, Spec: &corev1.PodSpec{
		ServiceAccountName: "app", Containers: []*corev1.Container{{Name: "c", Image: "i"}},
	}})
	require.NoError(t, err)
	verify := func(t *testing.T, token string) *serviceaccount.BoundClaims {
		t.Helper()
		claims, err := serviceaccount.VerifyBound(token, serviceaccount.Expected{Issuers: []string{issuer}, Audiences: []string{issuer}, Now: time.Now()}, key.Public())
		require.NoError(t, err)
		require.Equal(t, sa.GetMetadata().GetUid(), claims.Kubernetes.ServiceAccount.UID)
		return claims
	}

	t.Run("REST", func(t *testing.T) {
		body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":1200,` +
			`"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p","uid":"` + pod.GetMetadata().GetUid() + `"}}}`)
		url := "http://" + srv.InsecureAddr().String() + "/api/v1/namespaces/default/serviceaccounts/app/token"
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		var out struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
			Spec       struct {
				ExpirationSeconds int64 `json:"expirationSeconds"`
			} `json:"spec"`
			Status struct {
				Token               string    `json:"token"`
				ExpirationTimestamp time.Time `json:"expirationTimestamp"`
			} `json:"status"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.Equal(t, "TokenRequest", out.Kind)
		require.Equal(t, "authentication.k8s.io/v1", out.APIVersion)
		require.Equal(t, int64(1200), out.Spec.ExpirationSeconds)
		require.WithinDuration(t, time.Now().Add(20*time.Minute), out.Status.ExpirationTimestamp, time.Minute)
		claims := verify(t, out.Status.Token)
		require.Equal(t, "p", claims.Kubernetes.Pod.Name)
		require.Equal(t, pod.GetMetadata().GetUid(), claims.Kubernetes.Pod.UID)
	})
	t.Run("gRPC", func(t *testing.T) {
		out, err := c.ServiceAccounts("default").CreateToken(ctx, "app", &authenticationv1.TokenRequest{})
		require.NoError(t, err)
		claims := verify(t, out.GetStatus().GetToken())
		require.Nil(t, claims.Kubernetes.Pod)
		short := int64(60)
		_, err = c.ServiceAccounts("default").CreateToken(ctx, "app", &authenticationv1.TokenRequest{
			Spec: &authenticationv1.TokenRequestSpec{ExpirationSeconds: &short},
		})
		require.True(t, apierrors.IsInvalid(err), "%v", err)
		_, err = c.Pods("default").CreateToken(ctx, "p", &authenticationv1.TokenRequest{})
		require.Error(t, err, "only service accounts serve tokens")
	})
}
