package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/kubeconfig"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

// composeNodes are the nodes of deploy/compose/docker-compose.yml.
var composeNodes = []string{"node-1", "node-2"}

// composeCluster is the compose dev cluster `make compose-up` started: its admin kubeconfig
// (which names HAProxy on loopback) and its podman-compose project.
type composeCluster struct {
	t       *testing.T
	kubectl *kubectlEnv
	podman  string
	project string
}

// TestComposeCluster is the acceptance test of the compose dev cluster (deploy/compose), which
// `make compose-test` starts with `make compose-up` and then runs with KEELSON_COMPOSE=1; without
// it the test is skipped (it needs podman and minutes, so make test does not run it). Through
// HAProxy on loopback, kubectl sees every node Ready; a Deployment's pods run as processes in the
// nodes' containers; and under a bounded write load through HAProxy one apiserver container is
// killed (SIGKILL) without losing an acknowledged write.
//
// KEELSON_COMPOSE_KUBECONFIG (default deploy/compose/build/kubeconfig) and KEELSON_COMPOSE_PROJECT
// (default keelson) name another cluster.
func TestComposeCluster(t *testing.T) {
	if os.Getenv("KEELSON_COMPOSE") != "1" {
		t.Skip("needs the compose cluster: make compose-test runs this with KEELSON_COMPOSE=1")
	}
	c := newComposeCluster(t)
	server := c.kubectl.ok("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}")
	require.Regexp(t, `^https://127\.0\.0\.1:\d+$`, server, "the admin's kubeconfig reaches HAProxy's published port on loopback, over TLS")
	t.Logf("kubectl talks to HAProxy at %s", server)

	start := time.Now()
	require.Eventually(t, c.nodesReady, 2*time.Minute, 500*time.Millisecond, "nodes %v Ready through HAProxy", composeNodes)
	t.Logf("kubectl get nodes (ready after %s):\n%s", time.Since(start).Round(time.Millisecond), c.kubectl.ok("get", "nodes", "-o", "wide"))

	ns := fmt.Sprintf("compose-test-%d", time.Now().Unix())
	c.kubectl.ok("create", "namespace", ns)
	t.Cleanup(func() { c.kubectl.run(nil, "delete", "namespace", ns, "--wait=false") })

	c.deploymentRuns(ns)
	c.killedAPIServerLosesNoWrite(ns)
}

func newComposeCluster(t *testing.T) *composeCluster {
	t.Helper()
	podman, err := exec.LookPath("podman")
	require.NoError(t, err, "podman must be on PATH (make deps installs it)")
	kc := os.Getenv("KEELSON_COMPOSE_KUBECONFIG")
	if kc == "" {
		kc = filepath.Join(repoRoot(t), "deploy", "compose", "build", "kubeconfig")
	}
	require.FileExists(t, kc, "the compose cluster's admin kubeconfig (make compose-up writes it)")
	project := os.Getenv("KEELSON_COMPOSE_PROJECT")
	if project == "" {
		project = "keelson"
	}
	return &composeCluster{
		t:       t,
		kubectl: &kubectlEnv{t: t, kubectl: requireKubectl(t), kubeconfig: kc, dir: t.TempDir()},
		podman:  podman,
		project: project,
	}
}

// nodesReady says whether every compose node is Ready.
func (c *composeCluster) nodesReady() bool {
	r := c.kubectl.run(nil, "get", "nodes", "--request-timeout=5s", "-o",
		`jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
	if r.code != 0 {
		return false
	}
	have := strings.Fields(r.stdout)
	for _, n := range composeNodes {
		if !slices.Contains(have, n+"=True") {
			return false
		}
	}
	return true
}

// podmanOut runs podman with args and returns its trimmed output, failing the test on an error.
func (c *composeCluster) podmanOut(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.podman, args...).CombinedOutput()
	require.NoError(c.t, err, "podman %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// container returns the ID of service's container in the project.
func (c *composeCluster) container(service string) string {
	c.t.Helper()
	id := c.podmanOut("ps", "-a", "-q", "--filter", "label=io.podman.compose.project="+c.project,
		"--filter", "label=com.docker.compose.service="+service)
	require.Len(c.t, strings.Fields(id), 1, "one container of service %s in project %s", service, c.project)
	return id
}

// deploymentRuns creates a Deployment in ns and waits until its pods are Running on the compose
// nodes, then checks that each node's container runs one process of the pods' command per pod
// placed there: the kubelet's process runtime really started them.
func (c *composeCluster) deploymentRuns(ns string) {
	t := c.t
	const replicas = 4
	// An argument no other process in the nodes' containers has, to count the pods' processes.
	sleep := strconv.Itoa(86000 + int(time.Now().Unix()%400))
	c.kubectl.ok("apply", "-n", ns, "-f", c.kubectl.file("deployment.yaml", fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleeper
spec:
  replicas: %d
  selector:
    matchLabels: {app: sleeper}
  template:
    metadata:
      labels: {app: sleeper}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: sleep
        # The process runtime runs the command from the node's image (busybox) and records the image.
        image: keelson/busybox:compose
        command: ["sleep", "%s"]
`, replicas, sleep)))
	start := time.Now()
	var placed map[string]int
	require.Eventually(t, func() bool {
		r := c.kubectl.run(nil, "get", "pods", "-n", ns, "-l", "app=sleeper", "--request-timeout=5s", "-o",
			`jsonpath={range .items[*]}{.spec.nodeName}={.status.phase}{"\n"}{end}`)
		if r.code != 0 {
			return false
		}
		placed = map[string]int{}
		for _, line := range strings.Fields(r.stdout) {
			node, phase, _ := strings.Cut(line, "=")
			if phase != "Running" || !slices.Contains(composeNodes, node) {
				return false
			}
			placed[node]++
		}
		return len(strings.Fields(r.stdout)) == replicas
	}, 2*time.Minute, 500*time.Millisecond, "%d pods of the Deployment Running on %v", replicas, composeNodes)
	t.Logf("the Deployment's %d pods Running %s after the apply, per node %v:\n%s", replicas,
		time.Since(start).Round(time.Millisecond), placed, c.kubectl.ok("get", "pods", "-n", ns, "-o", "wide"))
	c.kubectl.ok("rollout", "status", "-n", ns, "deployment/sleeper", "--timeout=60s")

	for _, node := range composeNodes {
		args := c.podmanOut("exec", c.container(node), "ps", "-o", "args")
		n := 0
		for _, line := range strings.Split(args, "\n") {
			if strings.TrimSpace(line) == "sleep "+sleep {
				n++
			}
		}
		require.Equal(t, placed[node], n, "processes 'sleep %s' in %s's container, one per pod placed there:\n%s", sleep, node, args)
	}
}

// killedAPIServerLosesNoWrite writes config maps into ns through HAProxy, one after another at
// a steady pace, kills apiserver-1's container with SIGKILL after the first 30, goes on writing
// for at least 10 s after the kill, and then requires every acknowledged write to be stored with
// its data. A write that fails is tried again (HAProxy may still hand a new connection to the
// dead replica before its checks take it out) for at most 15 s; one that took effect but lost its
// answer comes back AlreadyExists and counts as acknowledged. Then the dead replica must leave
// the kubernetes Endpoints (its identity lease expires), and, started again, come back to it.
// Bounded: at most 1,000 writes and 3 minutes.
func (c *composeCluster) killedAPIServerLosesNoWrite(ns string) {
	t := c.t
	kc, err := kubeconfig.Load(c.kubectl.kubeconfig)
	require.NoError(t, err)
	resolved, err := kc.Resolve("")
	require.NoError(t, err)
	cfg := resolved.ClientConfig()
	cfg.Logger = zap.NewNop()
	cl, err := client.New(cfg)
	require.NoError(t, err)
	defer func() { _ = cl.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const (
		before     = 30
		maxWrites  = 1000
		afterKill  = 10 * time.Second
		gapLimit   = 15 * time.Second
		callBudget = 3 * time.Second
		// The load's pace: 50 writes a second, so the writes after the kill span its detection by
		// HAProxy (about 2 s) and the rest of the afterKill window.
		pace = 20 * time.Millisecond
	)
	write := func(i int) time.Duration {
		t.Helper()
		start := time.Now()
		var err error
		for time.Since(start) < gapLimit {
			wctx, wcancel := context.WithTimeout(ctx, callBudget)
			_, err = cl.ConfigMaps(ns).Create(wctx, &corev1.ConfigMap{
				Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("write-%03d", i)}, Data: map[string]string{"i": strconv.Itoa(i)}})
			wcancel()
			if err == nil || apierrors.IsAlreadyExists(err) {
				return time.Since(start)
			}
		}
		require.NoError(t, err, "write %d through HAProxy, tried for %s", i, gapLimit)
		return 0
	}

	victim := c.container("apiserver-1")
	var (
		acked   int
		longest time.Duration
		killed  time.Time
	)
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for i := 0; i < maxWrites; i++ {
		<-tick.C
		if i == before {
			c.podmanOut("kill", "--signal", "KILL", victim)
			killed = time.Now()
			t.Logf("killed apiserver-1 (container %.12s) with SIGKILL after %d writes", victim, before)
		}
		if !killed.IsZero() && i >= 2*before && time.Since(killed) >= afterKill {
			break
		}
		longest = max(longest, write(i))
		acked++
	}
	require.False(t, killed.IsZero(), "the apiserver was killed")
	t.Logf("%d writes acknowledged through HAProxy, %d of them after the kill (over %s); the longest took %s",
		acked, acked-before, time.Since(killed).Round(time.Millisecond), longest.Round(time.Millisecond))

	list, err := cl.ConfigMaps(ns).List(ctx, client.ListOptions{})
	require.NoError(t, err)
	stored := map[string]string{}
	for _, cm := range list.Items {
		stored[cm.GetMetadata().GetName()] = cm.GetData()["i"]
	}
	for i := range acked {
		name := fmt.Sprintf("write-%03d", i)
		require.Equal(t, strconv.Itoa(i), stored[name], "acknowledged write %s is stored with its data", name)
	}
	require.Len(t, stored, acked, "exactly the acknowledged writes are stored")
	t.Logf("all %d acknowledged writes are stored", acked)

	endpoints := func() []string {
		r := c.kubectl.run(nil, "get", "endpoints", "kubernetes", "-n", "default", "--request-timeout=5s",
			"-o", "jsonpath={.subsets[*].addresses[*].ip}")
		if r.code != 0 {
			return nil
		}
		return strings.Fields(r.stdout)
	}
	// The identity lease lasts 15 s (docker-compose.yml); the Endpoints follow within a renewal.
	require.Eventually(t, func() bool { return len(endpoints()) == 1 }, time.Minute, 500*time.Millisecond,
		"the killed apiserver leaves the kubernetes Endpoints")
	t.Logf("the kubernetes Endpoints list the live apiserver only (%v), %s after the kill", endpoints(), time.Since(killed).Round(time.Second))

	// Leave the cluster whole: podman applies no restart policy to a container it killed itself.
	if c.podmanOut("inspect", "--format", "{{.State.Running}}", victim) != "true" {
		c.podmanOut("start", victim)
	}
	require.Eventually(t, func() bool { return len(endpoints()) == 2 }, 2*time.Minute, time.Second,
		"apiserver-1, started again, is back in the kubernetes Endpoints")
	t.Logf("apiserver-1 started again; kubernetes Endpoints: %v", endpoints())
}
