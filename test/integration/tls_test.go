package integration

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	cmserver "github.com/keelson-dev/keelson/controller-manager/server"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	proxyserver "github.com/keelson-dev/keelson/proxy/server"
	schedserver "github.com/keelson-dev/keelson/scheduler/server"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestEveryDaemonOverTLS runs the whole control plane over TLS, each daemon with its own identity
// from its kubeconfig: the scheduler binds a pod, the kubelet runs it, the controller manager
// takes its leader Lease, the proxy syncs, and pods/log reaches the kubelet over TLS with the
// apiserver's client certificate. A client without TLS gets nothing.
func TestEveryDaemonOverTLS(t *testing.T) {
	cluster := framework.StartCluster(t, framework.Options{})
	c := cluster.Client()
	ctx := testContext(t)
	framework.StartScheduler(t, cluster.Endpoints(), func(cfg *schedserver.Config) {
		cfg.Kubeconfig = cluster.Kubeconfig(clusterpki.SchedulerName)
	})
	framework.StartControllerManager(t, cluster.Endpoints(), func(cfg *cmserver.Config) {
		cfg.Kubeconfig = cluster.Kubeconfig(clusterpki.ControllerManagerName)
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod = 4*time.Second, 3*time.Second, 500*time.Millisecond
	})
	framework.StartServiceProxy(t, cluster.Endpoints(), "127.0.77.1", func(cfg *proxyserver.Config) {
		cfg.Kubeconfig = cluster.Kubeconfig(clusterpki.ProxyName)
	})
	k := framework.StartKubelet(t, cluster, framework.KubeletOptions{})
	require.Contains(t, k.URL(), "https://")

	_, err := c.Pods("default").Create(ctx, shPod("greeter", "", "Never", "echo hello over tls"))
	require.NoError(t, err)
	p := waitPod(t, c, "greeter", time.Minute, "Succeeded", func(p *corev1.Pod) bool { return p.GetStatus().GetPhase() == "Succeeded" })
	require.Equal(t, k.Server.NodeName(), p.GetSpec().GetNodeName(), "the scheduler bound it")

	hc := cluster.HTTPClient()
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cluster.URL(0)+"/api/v1/namespaces/default/pods/greeter/log", nil)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, "hello over tls\n", string(body))

	require.True(t, framework.Poll(30*time.Second, 50*time.Millisecond, func() bool {
		l, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
		return err == nil && l.GetSpec().GetHolderIdentity() != ""
	}), "the controller manager leads through its TLS client")

	plain, err := client.New(client.Config{Endpoints: cluster.Endpoints(), Retries: 1, RetryBackoff: time.Millisecond})
	require.NoError(t, err)
	defer func() { _ = plain.Close() }()
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = plain.Namespaces().Get(short, "default")
	require.Error(t, err, "a plain-text client reaches nothing on the TLS port")
}
