package integration

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestControllerManagerRunsItsControllers runs keelson-controller-manager with every controller
// and checks that each one acts in a new namespace: the namespace gets its default service account
// and that account a signed token Secret, a ReplicaSet gets its pods, a Service its Endpoints, and
// deleting the namespace removes all of it and then the namespace.
func TestControllerManagerRunsItsControllers(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "sa.key")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	framework.StartControllerManager(t, cluster.Endpoints(), func(cfg *cmserver.Config) {
		cfg.Controllers.ServiceAccountPrivateKeyFile = keyFile
	})
	ctx := testContext(t)
	const ns = "team"
	_, err = c.Namespaces().Create(ctx, &corev1.Namespace{Metadata: &metav1.ObjectMeta{Name: ns}})
	require.NoError(t, err)

	framework.Eventually(t, 30*time.Second, func() bool {
		_, err := c.ServiceAccounts(ns).Get(context.Background(), "default")
		return err == nil
	}, "default service account")
	framework.Eventually(t, 30*time.Second, func() bool {
		list, err := c.Secrets(ns).List(context.Background(), client.ListOptions{})
		if err != nil {
			return false
		}
		for _, s := range list.Items {
			if s.GetType() == "kubernetes.io/service-account-token" && len(s.GetData()["token"]) > 0 {
				return true
			}
		}
		return false
	}, "a token Secret for the default service account")

	labels := map[string]string{"app": "web"}
	replicas := int32(2)
	_, err = c.ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: "web"},
		Spec:     &appsv1.ReplicaSetSpec{Replicas: &replicas, Selector: selector(labels), Template: template(labels, "Always")},
	})
	require.NoError(t, err)
	_, err = c.Services(ns).Create(ctx, &corev1.Service{
		Metadata: &metav1.ObjectMeta{Name: "web"},
		Spec:     &corev1.ServiceSpec{Selector: labels, Ports: []*corev1.ServicePort{{Name: "http", Port: 80}}},
	})
	require.NoError(t, err)
	framework.Eventually(t, 30*time.Second, func() bool {
		list, err := c.Pods(ns).List(context.Background(), client.ListOptions{})
		return err == nil && len(list.Items) == 2
	}, "two pods of the ReplicaSet")
	framework.Eventually(t, 30*time.Second, func() bool {
		_, err := c.Endpoints(ns).Get(context.Background(), "web")
		return err == nil
	}, "Endpoints of the service")

	require.NoError(t, c.Namespaces().Delete(ctx, ns))
	framework.Eventually(t, 60*time.Second, func() bool {
		_, err := c.Namespaces().Get(context.Background(), ns)
		return err != nil
	}, "namespace %s emptied and removed", ns)
}
