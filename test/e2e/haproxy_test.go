package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/pkg/config"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestHAProxyKeepsClientsGoingWhenAnAPIServerStops runs the real HAProxy, with the shipped
// configuration, in front of two apiservers on loopback that serve TLS and authorize with
// Node,RBAC. HAProxy checks /readyz over TLS, verifying the apiservers against the cluster CA, as
// shipped. A client (the admin) that knows HAProxy only writes through it; one apiserver is
// killed halfway through; every write still succeeds, each within the time HAProxy's checks take
// to take the dead replica out.
func TestHAProxyKeepsClientsGoingWhenAnAPIServerStops(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{APIServers: 2, TLS: true, Configure: func(cfg *server.Config) {
		cfg.AuthorizationModes = []string{server.ModeNode, server.ModeRBAC}
	}})
	servers := []string{cl.APIServer(0).Addr().String(), cl.APIServer(1).Addr().String()}
	listen := fmt.Sprintf("127.0.0.1:%d", loopbackPort(t))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	cfg := framework.HAProxyConfig(t, filepath.Join(repoRoot(t), "deploy", "haproxy", "haproxy.cfg"), listen, servers)
	// HAProxyConfig drops the checks' TLS for plain-text apiservers; these serve TLS, so the
	// checks verify them against the cluster CA as the shipped file says, by absolute path.
	const checks = "default-server check "
	require.Contains(t, cfg, checks)
	cfg = strings.Replace(cfg, checks, checks+"check-ssl verify required ca-file "+cl.PKI().CertFile(clusterpki.CAName)+" ", 1)
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	framework.Start(t, framework.HAProxyCommand(t, cfgPath, filepath.Join(dir, "haproxy.log"))).WaitListening(listen, 10*time.Second)

	admin, err := config.APIClient{Kubeconfig: cl.Kubeconfig(clusterpki.AdminName), APIServers: []string{listen}}.ClientConfig()
	require.NoError(t, err)
	admin.Logger = zap.NewNop()
	c, err := client.New(admin)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// write creates config map i, trying again (HAProxy may still send a new connection to the
	// dead replica before its checks fail) for at most gapLimit; it returns how long it took.
	const gapLimit = 10 * time.Second
	write := func(i int) time.Duration {
		t.Helper()
		start := time.Now()
		var err error
		for time.Since(start) < gapLimit {
			wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.ConfigMaps("default").Create(wctx, &corev1.ConfigMap{
				Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("through-haproxy-%d", i)}, Data: map[string]string{"i": fmt.Sprint(i)}})
			wcancel()
			// An earlier try that landed but lost its answer leaves the object created.
			if err == nil || apierrors.IsAlreadyExists(err) {
				return time.Since(start)
			}
		}
		require.NoError(t, err, "write %d through haproxy", i)
		return 0
	}

	const writes = 40
	var longest time.Duration
	for i := range writes {
		if i == writes/2 {
			cl.KillAPIServer(0)
		}
		longest = max(longest, write(i))
	}
	t.Logf("%d writes through haproxy, apiserver 0 killed after %d; the longest took %s", writes, writes/2, longest.Round(time.Millisecond))
	list, err := c.ConfigMaps("default").List(ctx, client.ListOptions{})
	require.NoError(t, err)
	n := 0
	for _, cm := range list.Items {
		if strings.HasPrefix(cm.GetMetadata().GetName(), "through-haproxy-") {
			n++
		}
	}
	require.Equal(t, writes, n, "every write is stored")
}
