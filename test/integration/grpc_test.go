package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
	"github.com/keelson-dev/keelson/test/framework"
)

// grpcurl finds the grpcurl that `make tools` builds into bin/tools, or one on PATH.
func grpcurl(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	local := filepath.Join(filepath.Dir(file), "..", "..", "bin", "tools", "grpcurl")
	if _, err := os.Stat(local); err == nil {
		return local
	}
	p, err := exec.LookPath("grpcurl")
	require.NoError(t, err, "grpcurl is needed: run `make tools`")
	return p
}

func TestGRPCHealthAndReflection(t *testing.T) {
	cl := framework.StartCluster(t, framework.Options{})
	ctx := testContext(t)
	conn, err := grpc.NewClient(cl.Endpoint(0), grpc.WithTransportCredentials(cl.GRPCCredentials()))
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	for _, svc := range []string{"", "keelson.resource.v1.ResourceService"} {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		require.NoError(t, err)
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "service %q", svc)
	}

	p := cl.PKI()
	tlsFlags := []string{"-cacert", p.CertFile(clusterpki.CAName), "-cert", p.CertFile(clusterpki.AdminName), "-key", p.KeyFile(clusterpki.AdminName)}
	out, err := exec.CommandContext(ctx, grpcurl(t), append(tlsFlags, cl.Endpoint(0), "list")...).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, strings.Fields(string(out)), "keelson.resource.v1.ResourceService")
	require.Contains(t, strings.Fields(string(out)), "grpc.health.v1.Health")

	out, err = exec.CommandContext(ctx, grpcurl(t), append(tlsFlags, cl.Endpoint(0), "describe", "keelson.resource.v1.ResourceService")...).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "rpc Watch")

	out, err = exec.CommandContext(ctx, grpcurl(t), append(tlsFlags, "-d", `{"resource":{"version":"v1","resource":"namespaces"},"name":"default"}`,
		cl.Endpoint(0), "keelson.resource.v1.ResourceService/Get")...).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), `"name": "default"`)
}
