package app

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	"github.com/keelson-dev/keelson/pkg/pki"
)

func TestRunPKI(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--dir", filepath.Join(dir, "pki"), "--kubeconfig-dir", dir, "--server", "https://127.0.0.1:7443",
		"--service-cluster-ip-range", "127.96.0.0/16", "--advertise-address", "127.0.0.3", "--apiserver-cert-extra-sans", "api.test",
		"--nodes", "n1,n2"}
	var out bytes.Buffer
	require.NoError(t, RunPKI(args, &out))
	require.Contains(t, out.String(), "export KUBECONFIG="+filepath.Join(dir, "kubeconfig"))

	serving, err := pki.ReadKeyPair(filepath.Join(dir, "pki", "apiserver.crt"), filepath.Join(dir, "pki", "apiserver.key"))
	require.NoError(t, err)
	for _, name := range []string{"127.96.0.1", "127.0.0.3", "api.test", "kubernetes.default.svc.cluster.local"} {
		require.NoError(t, serving.Cert.VerifyHostname(name), name)
	}
	for _, name := range []string{"kubeconfig", "kube-scheduler.kubeconfig", "kube-controller-manager.kubeconfig", "kube-proxy.kubeconfig",
		"kubelet-n1.kubeconfig", "kubelet-n2.kubeconfig"} {
		kc, err := kubeconfig.Load(filepath.Join(dir, name))
		require.NoError(t, err, name)
		require.Equal(t, "https://127.0.0.1:7443", kc.Clusters[0].Cluster.Server)
	}
	ca, err := pki.ReadCA(filepath.Join(dir, "pki", "ca.crt"), filepath.Join(dir, "pki", "ca.key"))
	require.NoError(t, err)

	// Again: the same CA.
	require.NoError(t, RunPKI(args, &out))
	again, err := pki.ReadCA(filepath.Join(dir, "pki", clusterpki.CAName+".crt"), filepath.Join(dir, "pki", "ca.key"))
	require.NoError(t, err)
	require.True(t, again.Cert.Equal(ca.Cert))

	require.ErrorContains(t, RunPKI([]string{"extra"}, &out), "takes no arguments")
	require.ErrorContains(t, RunPKI([]string{"--dir", filepath.Join(dir, "x"), "--server", ""}, &out), "no server URL")
	require.NoError(t, RunPKI([]string{"--help"}, &out))
}
