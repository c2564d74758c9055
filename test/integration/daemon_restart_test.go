package integration

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	kubeletserver "github.com/keelson-dev/keelson/kubelet/server"
	"github.com/keelson-dev/keelson/pkg/client"
	appsv1 "github.com/keelson-dev/keelson/proto/apps/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
	"github.com/keelson-dev/keelson/test/framework"
)

// containerState is what must not change about a pod's container across daemon restarts.
type containerState struct {
	id       string
	restarts int32
	started  time.Time
}

// runningContainers returns the container of every running pod of app, by pod name.
func runningContainers(t *testing.T, c *client.Client, app string) map[string]containerState {
	t.Helper()
	pods, err := liveAppPods(testContext(t), c, app)
	require.NoError(t, err)
	out := map[string]containerState{}
	for _, p := range pods {
		st := mainStatus(p)
		if st.GetState().GetRunning() == nil {
			continue
		}
		out[p.GetMetadata().GetName()] = containerState{
			id: st.GetContainerId(), restarts: st.GetRestartCount(), started: st.GetState().GetRunning().GetStartedAt().AsTime(),
		}
	}
	return out
}

// TestDaemonRestartsChangeNothing restarts the kubelet, the controller manager and the scheduler,
// one after another, under a write load, while a ReplicaSet of four runs real processes on the
// node (Kubernetes' daemon_restart e2e): afterwards the same four pods run the same containers,
// none restarted or started again, no pod was created or deleted, and the ReplicaSet still asks
// for four.
func TestDaemonRestartsChangeNothing(t *testing.T) {
	const replicas = int32(4)
	cl := framework.StartCluster(t, framework.Options{})
	c := cl.Client()
	ctx := testContext(t)
	k := framework.StartKubelet(t, cl, framework.KubeletOptions{})
	sched := framework.StartScheduler(t, cl.Endpoints(), nil)
	cm := startControllerManager(t, cl)

	podLabels := map[string]string{"app": "steady"}
	tr := trackPods(t, c, "app=steady")
	spec := &corev1.PodSpec{RestartPolicy: "Always", Containers: []*corev1.Container{{
		Name: "main", Image: "sh", Command: []string{"/bin/sh", "-c", "while true; do sleep 0.1; done"},
	}}}
	_, err := c.ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{
		Metadata: &metav1.ObjectMeta{Name: "steady"},
		Spec: &appsv1.ReplicaSetSpec{Replicas: new(replicas), Selector: selector(podLabels),
			Template: &corev1.PodTemplateSpec{Metadata: &metav1.ObjectMeta{Labels: podLabels}, Spec: spec}},
	})
	require.NoError(t, err)
	var before map[string]containerState
	framework.Eventually(t, time.Minute, func() bool {
		before = runningContainers(t, c, "steady")
		return len(before) == int(replicas)
	}, "four pods running")

	// A bounded write load for the whole test: configmaps created one after another.
	var writes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 5000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				Metadata: &metav1.ObjectMeta{Name: fmt.Sprintf("load-%d", i)}, Data: map[string]string{"i": fmt.Sprint(i)},
			}); err == nil {
				writes.Add(1)
			}
		}
	}()

	kcfg := k.Config
	require.NoError(t, k.Stop())
	k2 := framework.StartKubelet(t, cl, framework.KubeletOptions{
		NodeName: kcfg.HostnameOverride, NodeIP: kcfg.NodeIP,
		Configure: func(c *kubeletserver.Config) { *c = kcfg },
	})
	require.NoError(t, cm.Stop())
	cm2 := startControllerManager(t, cl)
	require.NoError(t, sched.Stop())
	framework.StartScheduler(t, cl.Endpoints(), nil)

	// The restarted daemons have synced and act, if they were going to, while the load goes on:
	// the kubelet knows its four pods, the new controller manager leads, and 200 more writes
	// went through.
	restarted := writes.Load()
	var after map[string]containerState
	framework.Eventually(t, time.Minute, func() bool {
		lease, err := c.Leases("kube-system").Get(ctx, "keelson-controller-manager")
		after = runningContainers(t, c, "steady")
		return err == nil && lease.GetSpec().GetHolderIdentity() == cm2.Server.Identity() &&
			len(k2.DesiredPods()) == int(replicas) && len(after) == int(replicas) && writes.Load() >= restarted+200
	}, "the restarted daemons synced, four pods running and the load going on")
	close(stop)
	wg.Wait()

	require.Equal(t, slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)), "the same pods")
	for name, b := range before {
		a := after[name]
		require.Equal(t, b.id, a.id, "%s: the same container", name)
		require.Zero(t, a.restarts, "%s: no container restarted", name)
		require.True(t, b.started.Equal(a.started), "%s: not started again", name)
	}
	_, added, deleted := tr.counts()
	require.Equal(t, int(replicas), added, "no pod created beyond the first four")
	require.Zero(t, deleted, "no pod deleted")
	rs, err := c.ReplicaSets("default").Get(ctx, "steady")
	require.NoError(t, err)
	require.Equal(t, replicas, rs.GetSpec().GetReplicas())
	t.Logf("%d writes acknowledged during the restarts", writes.Load())
}
