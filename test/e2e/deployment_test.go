package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/clusterpki"
)

// startWorkloadDaemons runs, next to e's apiserver, the scheduler, a controller manager with the
// ReplicaSet and Deployment controllers, and a kubelet on the hollow runtime (its pods run nothing
// and are Running and Ready at once) on node deployNode, all built binaries on free loopback
// ports, each with its own identity from e's PKI, until the test ends. e must have been started
// with deployNode among its nodes.
func startWorkloadDaemons(t *testing.T, e *kubectlEnv) {
	t.Helper()
	bin := requireBinaries(t)
	daemons := []struct {
		name string
		args []string
	}{
		{"scheduler", append(e.pki.kubeconfigArgs(clusterpki.SchedulerName), "--log-level", "warn")},
		{"controller-manager", append(e.pki.kubeconfigArgs(clusterpki.ControllerManagerName),
			"--controllers", "replicaset,deployment", "--log-level", "warn")},
		{"kubelet", append(e.pki.kubeletArgs(t, deployNode, "127.0.0.1"), "--runtime", "hollow", "--hostname-override", deployNode,
			"--node-ip", "127.0.0.1", "--address", "127.0.0.1", "--port", strconv.Itoa(freePort(t)),
			"--healthz-bind-address", "127.0.0.1", "--root-dir", t.TempDir(), "--pod-logs-dir", t.TempDir(), "--log-level", "warn")},
	}
	for _, d := range daemons {
		port := strconv.Itoa(freePort(t))
		flag := "--port"
		if d.name == "kubelet" {
			flag = "--healthz-port"
		}
		r := startDaemon(t, bin, d.name, nil, append(d.args, flag, port)...)
		r.WaitHealthy("http://127.0.0.1:"+port+"/healthz", 60*time.Second)
	}
}

// deployNode is the hollow node startWorkloadDaemons runs.
const deployNode = "e2e-deploy-node"

// TestKubectlDeploymentLifecycle drives a Deployment through the real kubectl against built
// binaries: create deployment, rollout status, scale, set image, rollout history, rollout undo
// and rollout undo --to-revision, each checked by what kubectl then reads back. Every kubectl run
// is bounded by its --timeout or the helper's minute.
func TestKubectlDeploymentLifecycle(t *testing.T) {
	e := startKubectlEnv(t, deployNode)
	startWorkloadDaemons(t, e)
	image := func() string {
		t.Helper()
		return e.ok("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
	}
	revision := func() string {
		t.Helper()
		return e.ok("get", "deployment", "web", "-o", `jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}`)
	}
	rolledOut := func() {
		t.Helper()
		require.Contains(t, e.ok("rollout", "status", "deployment/web", "--timeout=90s"), `deployment "web" successfully rolled out`)
	}

	e.ok("create", "deployment", "web", "--image=registry.local/web:v1", "--replicas=2")
	rolledOut()
	require.Equal(t, "2", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.availableReplicas}"))
	require.Equal(t, "1", revision())

	e.ok("scale", "deployment/web", "--replicas=3")
	rolledOut()
	require.Equal(t, "3", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"))
	require.Equal(t, "1", revision(), "a scale is no new revision")

	e.ok("set", "image", "deployment/web", "*=registry.local/web:v2")
	rolledOut()
	require.Equal(t, "2", revision())
	require.Equal(t, "3", e.ok("get", "deployment", "web", "-o", "jsonpath={.status.updatedReplicas}"))
	rsImages := e.ok("get", "replicasets", "-l", "app=web", "-o",
		`jsonpath={range .items[*]}{.metadata.annotations.deployment\.kubernetes\.io/revision}={.spec.template.spec.containers[0].image}:{.spec.replicas}{"\n"}{end}`)
	require.ElementsMatch(t, []string{"1=registry.local/web:v1:0", "2=registry.local/web:v2:3"}, strings.Fields(rsImages))

	hist := e.ok("rollout", "history", "deployment/web")
	rows := tableRows(hist[strings.Index(hist, "REVISION"):])
	require.Len(t, rows, 2, "rollout history:\n%s", hist)
	require.Equal(t, "1", rows[0][0])
	require.Equal(t, "2", rows[1][0])
	require.Contains(t, e.ok("rollout", "history", "deployment/web", "--revision=1"), "registry.local/web:v1")

	require.Contains(t, e.ok("rollout", "undo", "deployment/web"), "rolled back")
	rolledOut()
	require.Equal(t, "registry.local/web:v1", image())
	require.Equal(t, "3", revision(), "the undone template rolls out as the next revision")
	require.Len(t, strings.Fields(e.ok("get", "replicasets", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}")), 2,
		"the first ReplicaSet is reused: no third one")

	require.Contains(t, e.ok("rollout", "undo", "deployment/web", "--to-revision=2"), "rolled back")
	rolledOut()
	require.Equal(t, "registry.local/web:v2", image())
	require.Equal(t, "4", revision())
}
