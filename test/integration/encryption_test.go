package integration

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/client"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// With every resource encrypted at rest, two replicas serve every verb and watch as before, and
// what etcd holds is ciphertext with Kubernetes' prefix: each replica's watch cache and reads
// decrypt what the other wrote.
func TestEncryptionAtRestAcrossReplicas(t *testing.T) {
	encPath := filepath.Join(t.TempDir(), "encryption.yaml")
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, os.WriteFile(encPath, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: ["*.*"]
  providers:
  - secretbox:
      keys:
      - {name: key1, secret: `+key+`}
`), 0o600))
	cl := framework.StartCluster(t, framework.Options{APIServers: 2, Configure: func(cfg *server.Config) {
		cfg.EncryptionProviderConfig = encPath
	}})
	c := cl.Client()
	t.Run("Secret", func(t *testing.T) { crud(t, c, "default", secretFixture()) })
	t.Run("ConfigMap", func(t *testing.T) { crud(t, c, "default", configMapFixture()) })
	t.Run("Pod", func(t *testing.T) { crud(t, c, "default", podFixture()) })
	t.Run("Deployment", func(t *testing.T) { crud(t, c, "default", deploymentFixture()) })

	ctx := testContext(t)
	first, second := cl.Client(cl.Endpoint(0)), cl.Client(cl.Endpoint(1))
	_, err := first.Secrets("default").Create(ctx, &corev1.Secret{
		Metadata: &metav1.ObjectMeta{Name: "kept"}, Data: map[string][]byte{"token": []byte("plain-token-value")}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := second.Secrets("default").Get(ctx, "kept")
		return err == nil && string(got.Data["token"]) == "plain-token-value"
	}, 30*time.Second, 10*time.Millisecond, "the other replica reads the secret")

	list, err := second.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	w, err := second.ConfigMaps("default").Watch(ctx, client.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	want := writeChanges(t, first, "encrypted", 3)
	sameChanges(t, want, collect(t, w, len(want)))
	w.Stop()

	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{cl.EtcdURL()}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	require.NoError(t, err)
	defer func() { _ = etcd.Close() }()
	for _, key := range []string{"/registry/secrets/default/kept", "/registry/configmaps/default/encrypted-1"} {
		resp, err := etcd.Get(ctx, key)
		require.NoError(t, err)
		require.Len(t, resp.Kvs, 1, key)
		v := resp.Kvs[0].Value
		require.True(t, bytes.HasPrefix(v, []byte("k8s:enc:secretbox:v1:key1:")), "%s: %q", key, v[:min(len(v), 30)])
		require.NotContains(t, string(v), "plain-token-value")
		require.NotContains(t, string(v), "encrypted-1", "names inside the object are hidden too")
	}
}
