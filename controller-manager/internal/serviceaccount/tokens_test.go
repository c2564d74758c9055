package serviceaccount

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	sasign "github.com/keelson-dev/keelson/pkg/serviceaccount"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// keyFile writes a fresh ECDSA key and returns its path and public key.
func keyFile(t *testing.T) (string, *ecdsa.PublicKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "sa.key")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	return path, &k.PublicKey
}

func tokenSecret(ns, name, sa, uid string, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: ns, Uid: "secret-uid-" + name,
			Annotations: map[string]string{AnnotationName: sa, AnnotationUID: uid}},
		Type: SecretTypeToken, Data: data,
	}
}

func secretsOf(t *testing.T, srv *clienttest.Server, ns string) []*corev1.Secret {
	t.Helper()
	list, err := srv.Client().Secrets(ns).List(context.Background(), client.ListOptions{})
	require.NoError(t, err)
	return list.Items
}

func TestTokensReconcile(t *testing.T) {
	path, pub := keyFile(t)
	caPath := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(caPath, []byte("-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"), 0o600))
	sa := account("team", "builder")
	tests := []struct {
		name     string
		objs     []scheme.Object
		creates  int
		updates  int
		deletes  int
		wantLeft []string // names of the secrets left, "" for one generated name
	}{
		{"an account gets a token secret", []scheme.Object{sa}, 1, 0, 0, []string{""}},
		{"a populated secret is enough", []scheme.Object{sa, tokenSecret("team", "builder-token-xxxxx", "builder", sa.Metadata.Uid,
			map[string][]byte{KeyToken: []byte("t")})}, 0, 0, 0, []string{"builder-token-xxxxx"}},
		{"an empty token secret is populated", []scheme.Object{sa, tokenSecret("team", "mine", "builder", "", nil)},
			0, 1, 0, []string{"mine"}},
		{"secrets of a deleted account are deleted", []scheme.Object{tokenSecret("team", "builder-token-xxxxx", "builder", "old", nil)},
			0, 0, 1, nil},
		{"secrets of a replaced account are replaced", []scheme.Object{sa, tokenSecret("team", "builder-token-xxxxx", "builder", "old",
			map[string][]byte{KeyToken: []byte("t")})}, 1, 0, 1, []string{""}},
		{"other secrets are left alone", []scheme.Object{sa, &corev1.Secret{Metadata: &metav1.ObjectMeta{Name: "plain", Namespace: "team",
			Annotations: map[string]string{AnnotationName: "builder"}}, Type: "Opaque"}}, 1, 0, 0, []string{"", "plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := clienttest.Start(t, tt.objs...)
			clk := clock.NewFake(epoch)
			f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
			c, err := NewTokens(srv.Client(), f, nil, clk, zaptest.NewLogger(t), TokensOptions{PrivateKeyFile: path, RootCAFile: caPath})
			require.NoError(t, err)
			startFactory(t, f)
			ctx := testContext(t)
			_, err = c.reconcile(ctx, "team/builder")
			require.NoError(t, err)
			require.Equal(t, tt.creates, srv.Calls(clienttest.Create, "secrets"), "creates")
			require.Equal(t, tt.updates, srv.Calls(clienttest.Update, "secrets"), "updates")
			require.Equal(t, tt.deletes, srv.Calls(clienttest.Delete, "secrets"), "deletes")

			left := secretsOf(t, srv, "team")
			require.Len(t, left, len(tt.wantLeft))
			for i, s := range left {
				if tt.wantLeft[i] != "" {
					require.Equal(t, tt.wantLeft[i], s.GetMetadata().GetName())
				}
				if s.GetType() != SecretTypeToken || (tt.creates == 0 && tt.updates == 0) {
					continue
				}
				require.Regexp(t, `^builder-token-[bcdfghjklmnpqrstvwxz2456789]{5}$|^mine$`, s.GetMetadata().GetName())
				require.Equal(t, sa.Metadata.Uid, s.GetMetadata().GetAnnotations()[AnnotationUID])
				require.Equal(t, "team", string(s.GetData()[KeyNamespace]))
				require.Contains(t, string(s.GetData()[KeyCACert]), "BEGIN CERTIFICATE")
				claims, err := sasign.Verify(string(s.GetData()[KeyToken]), pub)
				require.NoError(t, err)
				require.Equal(t, sasign.NewLegacyClaims("team", "builder", sa.Metadata.Uid, s.GetMetadata().GetName()), *claims)
			}
		})
	}
}

func TestTokensWithoutKeyDoNothing(t *testing.T) {
	srv := clienttest.Start(t, account("team", "builder"))
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	c, err := NewTokens(srv.Client(), f, nil, clock.RealClock{}, zaptest.NewLogger(t), TokensOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, c.Run(ctx, 1), "Run waits for ctx and returns")
	require.True(t, f.HasSynced(), "no informer was registered")
	require.Zero(t, srv.Calls(clienttest.List, "secrets"))

	_, err = NewTokens(srv.Client(), f, nil, clock.RealClock{}, zaptest.NewLogger(t), TokensOptions{PrivateKeyFile: filepath.Join(t.TempDir(), "missing")})
	require.Error(t, err, "an unreadable key is an error")
}

// TestTokensCreateOnce reconciles again before the informer has seen the secret just created:
// the expectation holds the second pass back.
func TestTokensCreateOnce(t *testing.T) {
	path, _ := keyFile(t)
	srv := clienttest.Start(t, account("team", "builder"))
	clk := clock.NewFake(epoch)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	c, err := NewTokens(srv.Client(), f, nil, clk, zaptest.NewLogger(t), TokensOptions{PrivateKeyFile: path})
	require.NoError(t, err)
	startFactory(t, f)
	ctx := testContext(t)
	srv.Intercept(func(call clienttest.Call) error {
		if call.Verb == clienttest.Create && call.Resource == "secrets" {
			srv.EndWatches() // keep the informer from seeing the create for a while
		}
		return nil
	})
	for range 3 {
		// A pass that references the secret from a stale account conflicts and is retried.
		if _, err = c.reconcile(ctx, "team/builder"); err != nil {
			require.True(t, apierrors.IsConflict(err), "%v", err)
		}
	}
	require.Equal(t, 1, srv.Calls(clienttest.Create, "secrets"))
	require.Len(t, secretsOf(t, srv, "team"), 1)
}

// TestTokensReferencedFromAccount lists the token secret in the account's secrets, drops the
// reference to a token secret that is gone and keeps the user's own references.
func TestTokensReferencedFromAccount(t *testing.T) {
	path, _ := keyFile(t)
	sa := account("team", "builder")
	sa.Secrets = []*corev1.ObjectReference{{Name: "pull-secret"}, {Name: "builder-token-gone1"}}
	srv := clienttest.Start(t, sa, tokenSecret("team", "builder-token-xxxxx", "builder", sa.Metadata.Uid,
		map[string][]byte{KeyToken: []byte("t")}))
	clk := clock.NewFake(epoch)
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{Clock: clk})
	c, err := NewTokens(srv.Client(), f, nil, clk, zaptest.NewLogger(t), TokensOptions{PrivateKeyFile: path})
	require.NoError(t, err)
	startFactory(t, f)
	_, err = c.reconcile(testContext(t), "team/builder")
	require.NoError(t, err)
	got, ok := clienttest.Stored[*corev1.ServiceAccount](srv, "team", "builder")
	require.True(t, ok)
	var names []string
	for _, r := range got.GetSecrets() {
		names = append(names, r.GetName())
	}
	require.Equal(t, []string{"pull-secret", "builder-token-xxxxx"}, names)
}
