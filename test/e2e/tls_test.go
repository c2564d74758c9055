package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
)

// TestKubectlOverTLS generates a cluster's PKI with bin/keelson-pki, serves the apiserver binary
// with it (TLS only, Node,RBAC), and drives the stock kubectl with the admin kubeconfig, and
// pkg/client with the scheduler's: both work over TLS, and kubectl without the cluster CA is
// refused.
func TestKubectlOverTLS(t *testing.T) {
	bin := requireBinaries(t)
	kubectl := requireKubectl(t)
	p := newClusterPKI(t, bin)
	p.startAPIServer(t, bin, filepath.Join(t.TempDir(), "etcd"), "--log-level", "warn")
	dir := t.TempDir()

	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		b, err := exec.CommandContext(ctx, kubectl, args...).CombinedOutput()
		return string(b), err
	}
	got, err := run("--kubeconfig", p.Kubeconfig(clusterpki.AdminName), "get", "ns")
	require.NoError(t, err, got)
	require.Contains(t, got, "kube-system")

	// The same kubeconfig without the CA: kubectl does not trust the server.
	kc, err := kubeconfig.Load(p.Kubeconfig(clusterpki.AdminName))
	require.NoError(t, err)
	kc.Clusters[0].Cluster.CertificateAuthorityData = nil
	noCA := filepath.Join(dir, "no-ca.kubeconfig")
	require.NoError(t, kubeconfig.Write(kc, noCA))
	got, err = run("--kubeconfig", noCA, "get", "ns")
	require.Error(t, err)
	require.Contains(t, got, "certificate signed by unknown authority")

	c, err := config.APIClient{Kubeconfig: p.Kubeconfig(clusterpki.SchedulerName)}.NewClient("e2e", zap.NewNop())
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := c.Namespaces().List(ctx, client.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, ns.Items)
}
