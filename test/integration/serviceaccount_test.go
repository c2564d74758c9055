package integration

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/controller-manager/harness"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	sasign "github.com/keelson-dev/keelson/pkg/serviceaccount"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

func TestDefaultServiceAccount(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.ServiceAccounts)
	ctx := testContext(t)
	c := cl.Client()

	framework.Eventually(t, 10*time.Second, func() bool {
		_, err := c.ServiceAccounts("kube-system").Get(ctx, "default")
		return err == nil
	}, "system namespaces get a default service account")
	_, err := c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta("team-sa", nil)})
	require.NoError(t, err)
	var uid string
	framework.Eventually(t, 10*time.Second, func() bool {
		sa, err := c.ServiceAccounts("team-sa").Get(ctx, "default")
		uid = sa.GetMetadata().GetUid()
		return err == nil
	}, "a new namespace gets a default service account")

	require.NoError(t, c.ServiceAccounts("team-sa").Delete(ctx, "default"))
	framework.Eventually(t, 10*time.Second, func() bool {
		sa, err := c.ServiceAccounts("team-sa").Get(ctx, "default")
		return err == nil && sa.GetMetadata().GetUid() != uid
	}, "a deleted default service account is recreated")
}

func TestServiceAccountTokenSecret(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyPath := filepath.Join(t.TempDir(), "sa.key")
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))

	cl := framework.StartCluster(t, framework.Options{})
	startControllers(t, cl, harness.ServiceAccounts, harness.Tokens(keyPath))
	ctx := testContext(t)
	c := cl.Client()
	_, err = c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: meta("team-tok", nil)})
	require.NoError(t, err)

	var secret *corev1.Secret
	framework.Eventually(t, 10*time.Second, func() bool {
		list, err := c.Secrets("team-tok").List(ctx, client.ListOptions{})
		if err != nil {
			return false
		}
		for _, s := range list.Items {
			if s.GetType() == "kubernetes.io/service-account-token" && len(s.GetData()["token"]) > 0 {
				secret = s
				return true
			}
		}
		return false
	}, "the default service account gets a token secret")
	var sa *corev1.ServiceAccount
	framework.Eventually(t, 10*time.Second, func() bool {
		sa, err = c.ServiceAccounts("team-tok").Get(ctx, "default")
		return err == nil && len(sa.GetSecrets()) == 1 && sa.GetSecrets()[0].GetName() == secret.GetMetadata().GetName()
	}, "the service account references its token secret")
	require.Regexp(t, `^default-token-[a-z0-9]{5}$`, secret.GetMetadata().GetName())
	require.Equal(t, "default", secret.GetMetadata().GetAnnotations()["kubernetes.io/service-account.name"])
	require.Equal(t, sa.GetMetadata().GetUid(), secret.GetMetadata().GetAnnotations()["kubernetes.io/service-account.uid"])
	require.Equal(t, "team-tok", string(secret.GetData()["namespace"]))
	claims, err := sasign.Verify(string(secret.GetData()["token"]), &key.PublicKey)
	require.NoError(t, err, "the token verifies with the public key")
	require.Equal(t, "system:serviceaccount:team-tok:default", claims.Subject)
	require.Equal(t, secret.GetMetadata().GetName(), claims.SecretName)

	// Deleting the account deletes its token; the default account comes back with a new one.
	require.NoError(t, c.ServiceAccounts("team-tok").Delete(ctx, "default"))
	framework.Eventually(t, 10*time.Second, func() bool {
		_, err := c.Secrets("team-tok").Get(ctx, secret.GetMetadata().GetName())
		return apierrors.IsNotFound(err)
	}, "the deleted account's token secret is deleted")
	framework.Eventually(t, 10*time.Second, func() bool {
		sa2, err := c.ServiceAccounts("team-tok").Get(ctx, "default")
		if err != nil || sa2.GetMetadata().GetUid() == sa.GetMetadata().GetUid() {
			return false
		}
		list, err := c.Secrets("team-tok").List(ctx, client.ListOptions{})
		if err != nil || len(list.Items) != 1 {
			return false
		}
		got, err := sasign.Verify(string(list.Items[0].GetData()["token"]), &key.PublicKey)
		return err == nil && got.ServiceAccountUID == sa2.GetMetadata().GetUid()
	}, "the recreated account gets its own token")
}
