package e2e

import (
	"context"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/clusterpki"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// TestControllerManagerFailoverUnderScaleUp runs the built binaries — a secure apiserver, the
// scheduler, a kubelet with hollow nodes and two controller managers, each with its identity —
// and kills the leading controller manager with SIGKILL while a ReplicaSet scales from 0 to 500. The standby takes the Lease over and
// finishes the scale-up with exactly 500 pods: none created twice, none missing.
func TestControllerManagerFailoverUnderScaleUp(t *testing.T) {
	const replicas = 500
	bin := requireBinaries(t)
	p := newClusterPKI(t, bin)
	p.startAPIServer(t, bin, t.TempDir(), "--log-level", "warn")
	startDaemon(t, bin, "scheduler", nil, append(p.kubeconfigArgs(clusterpki.SchedulerName),
		"--port", strconv.Itoa(freePort(t)), "--log-level", "warn")...)
	// One kubelet process serves the ten hollow nodes, so no node's identity fits it: it runs as
	// the admin, as the test framework's hollow kubelets do.
	startDaemon(t, bin, "kubelet", nil, "--kubeconfig", p.Kubeconfig(clusterpki.AdminName), "--runtime", "hollow", "--hollow-nodes", "10",
		"--hollow-node-prefix", "failover", "--port", strconv.Itoa(freePort(t)), "--healthz-port", strconv.Itoa(freePort(t)),
		"--log-level", "warn")

	c := p.adminClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Short leases, so that the standby takes over within seconds of the kill.
	election := append(p.kubeconfigArgs(clusterpki.ControllerManagerName), "--leader-elect-lease-duration", "4s",
		"--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms", "--log-level", "warn")
	holder := func() string {
		l, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
		if err != nil {
			return ""
		}
		return l.GetSpec().GetHolderIdentity()
	}
	first, firstCmd := startDaemonCmd(t, bin, "controller-manager", nil, append(election, "--port", strconv.Itoa(freePort(t)))...)
	framework.Eventually(t, 60*time.Second, func() bool { return holder() != "" }, "the first controller manager leads")
	leader := holder()
	startDaemon(t, bin, "controller-manager", nil, append(election, "--port", strconv.Itoa(freePort(t)))...)

	created := trackCreates(ctx, t, c)
	labels := map[string]string{"app": "failover"}
	n := int32(replicas)
	_, err := c.ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: "failover", Namespace: "default"},
		Spec: &appsv1.ReplicaSetSpec{
			Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: labels},
				Spec:     &corev1.PodSpec{Containers: []*corev1.Container{{Name: "c", Image: "img", Command: []string{"sleep", "1"}}}},
			},
		},
	})
	require.NoError(t, err)

	framework.Eventually(t, 60*time.Second, func() bool { return created() >= 50 }, "the scale-up is under way")
	at := created()
	require.Less(t, at, replicas, "the kill must land in the middle of the scale-up")
	require.NoError(t, firstCmd.Signal(syscall.SIGKILL))
	require.Error(t, first.Wait(10*time.Second), "killed")
	t.Logf("killed the leading controller manager at %d of %d pods", at, replicas)

	framework.Eventually(t, 60*time.Second, func() bool { h := holder(); return h != "" && h != leader }, "the standby takes the lease")
	framework.Eventually(t, 90*time.Second, func() bool {
		rs, err := c.ReplicaSets("default").Get(ctx, "failover")
		return err == nil && rs.GetStatus().GetReplicas() == replicas && created() == replicas
	}, "the standby finishes the scale-up: %d pods created", created())
	list, err := c.Pods("default").List(ctx, client.ListOptions{LabelSelector: "app=failover"})
	require.NoError(t, err)
	require.Len(t, list.Items, replicas, "exactly the requested replicas")
	require.Equal(t, replicas, created(), "no pod created twice")
}

// trackCreates counts the distinct pods ever created in default, from a watch.
func trackCreates(ctx context.Context, t *testing.T, c *client.Client) func() int {
	t.Helper()
	w, err := c.Pods("default").Watch(ctx, client.ListOptions{LabelSelector: "app=failover"})
	require.NoError(t, err)
	var mu sync.Mutex
	names := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.Events() {
			if ev.Type == client.Added {
				mu.Lock()
				names[ev.Object.GetMetadata().GetName()] = true
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(names)
	}
}
