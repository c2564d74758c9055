package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	apiserver "github.com/keelson-dev/keelson/apiserver/server"
	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	sasign "github.com/keelson-dev/keelson/pkg/serviceaccount"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestPodGetsItsServiceAccountVolume runs a pod on a process-runtime kubelet with TokenRequest
// and the root CA publisher on: the container reads token, ca.crt and namespace at
// /var/run/secrets/kubernetes.io/serviceaccount, where client-go's in-cluster configuration looks,
// the token verifies with the signing key's public half and is bound to the pod, and the
// environment names the kubernetes Service.
func TestPodGetsItsServiceAccountVolume(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "sa.key")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keelson-ca"}, IsCA: true,
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	caFile := filepath.Join(dir, "ca.crt")
	require.NoError(t, os.WriteFile(caFile, []byte(caPEM), 0o644))
	const issuer = "https://kubernetes.default.svc.cluster.local"

	// A service-account key is a credential source: the apiserver then trusts no caller without
	// credentials, so the cluster runs over TLS and each daemon uses its identity.
	cl := framework.StartCluster(t, framework.Options{Configure: func(cfg *apiserver.Config) {
		cfg.TokenRequest.SigningKeyFile, cfg.Auth.ServiceAccountIssuers, cfg.Auth.ServiceAccountKeyFiles = keyFile, []string{issuer}, []string{keyFile}
	}})
	framework.StartControllerManager(t, cl.Endpoints(), func(cfg *cmserver.Config) {
		cfg.Controllers.Controllers = []string{"serviceaccount", "root-ca-cert-publisher"}
		cfg.Controllers.RootCAFile = caFile
		cfg.Kubeconfig = cl.Kubeconfig(clusterpki.ControllerManagerName)
	})
	k := framework.StartKubelet(t, cl, framework.KubeletOptions{})
	c := cl.Client()
	ctx := testContext(t)
	framework.Eventually(t, 20*time.Second, func() bool {
		cm, err := c.ConfigMaps("default").Get(ctx, "kube-root-ca.crt")
		return err == nil && cm.GetData()["ca.crt"] == caPEM
	}, "the root CA is published")

	const mount = "/var/run/secrets/kubernetes.io/serviceaccount"
	script := `echo "namespace=$(cat ` + mount + `/namespace)"; echo "token=$(cat ` + mount + `/token)"; ` +
		`echo "ca=$(head -1 ` + mount + `/ca.crt)"; echo "host=$KUBERNETES_SERVICE_HOST port=$KUBERNETES_SERVICE_PORT"; echo done; exec sleep 3600`
	created, err := c.Pods("default").Create(ctx, shPod("reader", k.Server.NodeName(), "Never", script))
	require.NoError(t, err)
	var volume string
	for _, v := range created.GetSpec().GetVolumes() {
		if strings.HasPrefix(v.GetName(), "kube-api-access-") {
			volume = v.GetName()
		}
	}
	require.NotEmpty(t, volume, "ServiceAccount admission adds the projected volume")
	require.Equal(t, "default", created.GetSpec().GetServiceAccountName())

	var log string
	framework.Eventually(t, 30*time.Second, func() bool {
		log = podLogIfAny(t, cl, "reader")
		return strings.Contains(log, "done\n")
	}, "the pod prints what it mounted")
	lines := map[string]string{}
	for _, l := range strings.Split(log, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			lines[k] = v
		}
	}
	require.Equal(t, "default", lines["namespace"])
	require.Equal(t, "-----BEGIN CERTIFICATE-----", lines["ca"])
	svc, err := c.Services("default").Get(ctx, "kubernetes")
	require.NoError(t, err)
	require.Contains(t, log, "host="+svc.GetSpec().GetClusterIp()+" port=")

	claims, err := sasign.VerifyBound(lines["token"], sasign.Expected{Issuers: []string{issuer}, Audiences: []string{issuer}, Now: time.Now()}, key.Public())
	require.NoError(t, err, "token %q", lines["token"])
	sa, err := c.ServiceAccounts("default").Get(ctx, "default")
	require.NoError(t, err)
	require.Equal(t, sa.GetMetadata().GetUid(), claims.Kubernetes.ServiceAccount.UID)
	require.NotNil(t, claims.Kubernetes.Pod)
	require.Equal(t, "reader", claims.Kubernetes.Pod.Name)
	require.Equal(t, created.GetMetadata().GetUid(), claims.Kubernetes.Pod.UID, "the token is bound to the pod")
	require.Equal(t, k.Server.NodeName(), claims.Kubernetes.Node.Name)
	require.Equal(t, time.Duration(3607)*time.Second, claims.Expiry.Time().Sub(claims.IssuedAt.Time()))

	_, err = os.Stat(filepath.Join(mount, "token"))
	require.ErrorIs(t, err, os.ErrNotExist, "the mount is the container's alone")
}

// podLogIfAny reads a pod's log through the apiserver, or "" while it cannot be read yet.
func podLogIfAny(t *testing.T, cl *framework.Cluster, name string) string {
	t.Helper()
	p, err := cl.Client().Pods("default").Get(testContext(t), name)
	if err != nil || mainStatus(p) == nil || (mainStatus(p).GetState().GetRunning() == nil && mainStatus(p).GetState().GetTerminated() == nil) {
		return ""
	}
	return podLog(t, cl, name, "")
}
