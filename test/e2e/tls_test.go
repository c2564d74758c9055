package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// TestKubectlOverTLS generates a cluster's PKI with bin/keelson-pki, serves the apiserver binary
// with it, and drives the stock kubectl with the admin kubeconfig, and pkg/client with the
// scheduler's: both work over TLS, and kubectl without the cluster CA is refused.
func TestKubectlOverTLS(t *testing.T) {
	bin := requireBinaries(t)
	kubectl := requireKubectl(t)
	dir := t.TempDir()
	port, plain := loopbackPort(t), loopbackPort(t)
	server := fmt.Sprintf("https://127.0.0.1:%d", port)
	out, err := exec.Command(filepath.Join(bin, "keelson-pki"), "--dir", filepath.Join(dir, "pki"), "--kubeconfig-dir", dir,
		"--server", server, "--service-cluster-ip-range", "127.96.0.0/16").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "export KUBECONFIG="+filepath.Join(dir, "kubeconfig"))

	pki := filepath.Join(dir, "pki")
	startDaemon(t, bin, "apiserver", nil, "--port", strconv.Itoa(port), "--data-dir", filepath.Join(dir, "etcd"),
		"--etcd-client-port", "0", "--etcd-peer-port", "0", "--log-level", "warn", "--service-cluster-ip-range", "127.96.0.0/16",
		"--tls-cert-file", filepath.Join(pki, "apiserver.crt"), "--tls-private-key-file", filepath.Join(pki, "apiserver.key"),
		"--client-ca-file", filepath.Join(pki, "ca.crt"), "--insecure-port", strconv.Itoa(plain)).
		WaitHealthy(fmt.Sprintf("http://127.0.0.1:%d/readyz", plain), 60*time.Second)

	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, kubectl, args...).CombinedOutput()
		return string(b), err
	}
	got, err := run("--kubeconfig", filepath.Join(dir, "kubeconfig"), "get", "ns")
	require.NoError(t, err, got)
	require.Contains(t, got, "kube-system")

	// The same kubeconfig without the CA: kubectl does not trust the server.
	kc, err := kubeconfig.Load(filepath.Join(dir, "kubeconfig"))
	require.NoError(t, err)
	kc.Clusters[0].Cluster.CertificateAuthorityData = nil
	noCA := filepath.Join(dir, "no-ca.kubeconfig")
	require.NoError(t, kubeconfig.Write(kc, noCA))
	got, err = run("--kubeconfig", noCA, "get", "ns")
	require.Error(t, err)
	require.Contains(t, got, "certificate signed by unknown authority")

	c, err := config.APIClient{Kubeconfig: filepath.Join(dir, "kube-scheduler.kubeconfig")}.NewClient("e2e", zap.NewNop())
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := c.Namespaces().List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, ns.Items)
}
